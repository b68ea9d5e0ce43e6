using HeroProc.Data;
using Microsoft.Extensions.Options;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Starts every ready job: pending (or retrying and due) with all dependencies succeeded, within the
/// global <c>MaxParallelJobs</c> and each run's <c>maxParallel</c>. It sleeps until woken by a commit
/// that matters or until the next retry is due, never polling in a loop.
/// </summary>
public sealed class JobScheduler(
    Db db, SystemState state, SchedulerSignal signal, AttemptRunner runner, ActiveAttempts active, ChangePublisher publisher, JobControl control,
    StartupRecovery recovery, IOptions<HeroProcOptions> options, TimeProvider clock, ILogger<JobScheduler> logger) : BackgroundService
{
    readonly HashSet<Task> _attempts = [];

    /// <summary>True once recovery is done and while the loop runs: part of readiness.</summary>
    public bool Alive { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        await state.LoadAsync(stopping);
        await recovery.RecoverAsync(stopping);
        Alive = true;
        while (!stopping.IsCancellationRequested)
        {
            DateTimeOffset? until;
            try
            {
                // The claim's own time: a retry due after it must wake the loop again, even when the clock
                // has passed its due time by the end of the pass (a timer may also fire a little early).
                var now = clock.GetUtcNow();
                var (moreMayBeReady, due) = state.Wiping
                    ? (false, await db.ReadAsync(tx => JobStateRepository.NextRetryDueAsync(tx, now), stopping))
                    : await StartReadyJobsAsync(state.MayStartJobs, now, stopping);
                // A pass may have left capacity that runs at their maxParallel kept from the jobs it looked
                // at: look again at once. Otherwise sleep until woken, or until a retry falls due; a retry
                // already due that could not start waits for a wake (a job's end, a resume), never in a busy loop.
                until = moreMayBeReady ? now : due;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError(e, "The scheduler's pass failed; it tries again in a second");
                until = clock.GetUtcNow() + TimeSpan.FromSeconds(1);
            }
            try
            {
                await signal.WaitUntilAsync(until, clock, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Alive = false;
    }

    /// <summary>
    /// Claims and starts the ready jobs. Returns whether more may be ready at once (see ClaimReadyAsync), and
    /// when the next retry after <paramref name="now"/> falls due, read in the same transaction.
    /// </summary>
    /// <param name="oneshots">False while paused: services' processes are still started (and restarted), nothing else.</param>
    async Task<(bool MoreMayBeReady, DateTimeOffset? NextRetryDue)> StartReadyJobsAsync(bool oneshots, DateTimeOffset now, CancellationToken stopping)
    {
        var (claimed, moreMayBeReady, due) = await db.InTransactionAsync(async tx =>
        {
            var claimedAt = Later(clock.GetUtcNow(), now);
            var capacity = oneshots ? options.Value.MaxParallelJobs - await JobStateRepository.CountActiveAsync(tx) : 0;
            var processes = await JobStateRepository.ClaimReadyAsync(tx, int.MaxValue, now, claimedAt, Native.BootId, processes: true);
            var jobs = await JobStateRepository.ClaimReadyAsync(tx, capacity, now, claimedAt, Native.BootId);
            List<JobStateRepository.ClaimedJob> all = [.. processes.Jobs, .. jobs.Jobs];
            var runs = new List<RunState>();
            foreach (var runId in all.Select(j => j.RunId).Distinct())
                if (await JobStateRepository.RefreshRunAsync(tx, runId, claimedAt) is { } run)
                    runs.Add(run);
            if (all.Count > 0)
                await publisher.PublishRowsAsync(tx, await JobRepository.GetManyAsync(tx, [.. all.Select(j => j.Id)]), runs);
            return (all, processes.MoreMayBeReady || jobs.MoreMayBeReady, await JobStateRepository.NextRetryDueAsync(tx, now));
        }, stopping, durable: false);  // a claim lost to a power cut only starts the job again, as it must
        if (claimed.Count == 0)
            return (moreMayBeReady, due);
        foreach (var job in claimed)
        {
            // Started here, not handed to another thread: each runs until it has asked the launcher for its
            // shim (a few file renames and a pipe write), then the next one starts.
            var attempt = runner.RunAsync(job);
            lock (_attempts)
                _attempts.Add(attempt);
            _ = attempt.ContinueWith(done => { lock (_attempts) _attempts.Remove(done); }, TaskScheduler.Default);
        }
        return (moreMayBeReady, due);
    }

    /// <summary>
    /// At shutdown, jobs keep running by default (the next start re-adopts them); with
    /// <c>StopJobsOnShutdown</c> they are stopped, each with its stop signal and timeout, and their ends recorded.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!options.Value.StopJobsOnShutdown)
            return;
        // A service's run is stopped whole, processes waiting to restart included: the next start gives
        // the services still wanted started a fresh run.
        foreach (var runId in await db.ReadAsync(RunRepository.UnfinishedServiceRunIdsAsync, cancellationToken))
            await control.StopServiceRunAsync(runId, _ => Task.FromResult(true), cancellationToken);
        foreach (var handle in active.All)
        {
            // Recorded as cancelled: stopped on purpose, not failed.
            await db.InTransactionAsync(tx => JobStateRepository.RequestStopAsync(tx, handle.JobId, "cancel"), cancellationToken);
            handle.RequestStop();
        }
        Task[] running;
        lock (_attempts)
            running = [.. _attempts];
        await Task.WhenAll(running).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
