using System.Data;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>The outcome of a cancel: done, or why not.</summary>
public enum ControlOutcome { Accepted, NotFound, Finished, ServiceOwned, Declined }

/// <summary>
/// Cancels runs and jobs: waiting jobs end <c>cancelled</c> in the same transaction; running ones are
/// flagged (the flag survives a restart) and their shims signalled once the flag is committed.
/// </summary>
public sealed class JobControl(Db db, ActiveAttempts active, SchedulerSignal scheduler, ChangePublisher publisher, TimeProvider clock)
{
    public Task<ControlOutcome> CancelRunAsync(long runId, CancellationToken ct) => CancelAsync(runId, asService: false, onlyIf: null, ct);

    /// <summary>
    /// The service supervisor stopping a service's run (the only one allowed to), only if
    /// <paramref name="stillWanted"/> holds in the same transaction: a request that changed the service
    /// since the supervisor looked wins.
    /// </summary>
    public Task<ControlOutcome> StopServiceRunAsync(long runId, Func<IDbTransaction, Task<bool>> stillWanted, CancellationToken ct) =>
        CancelAsync(runId, asService: true, stillWanted, ct);

    async Task<ControlOutcome> CancelAsync(long runId, bool asService, Func<IDbTransaction, Task<bool>>? onlyIf, CancellationToken ct)
    {
        var (outcome, toStop) = await db.InTransactionAsync(async tx =>
        {
            var run = await RunRepository.GetAsync(tx, runId);
            if (run is null)
                return (ControlOutcome.NotFound, new List<long>());
            if (run.Status.IsFinished())
                return (ControlOutcome.Finished, []);
            if (run.Service is not null && !asService)
                return (ControlOutcome.ServiceOwned, []);
            if (onlyIf is not null && !await onlyIf(tx))
                return (ControlOutcome.Declined, []);
            var now = clock.GetUtcNow();
            await JobStateRepository.RequestRunCancelAsync(tx, runId);
            var cancelled = new List<long>();
            var stopping = new List<long>();
            foreach (var job in await JobStateRepository.ListUnfinishedAsync(tx, runId))
            {
                if (await JobStateRepository.CancelWaitingAsync(tx, job.Id, now, "run cancelled"))
                    cancelled.Add(job.Id);
                else if (await JobStateRepository.RequestStopAsync(tx, job.Id, "cancel"))
                    stopping.Add(job.Id);
            }
            await JobStateRepository.RefreshRunAsync(tx, runId, now);
            await publisher.PublishAsync(tx, cancelled, [runId]);
            return (ControlOutcome.Accepted, stopping);
        }, ct);
        AfterCancel(outcome, toStop);
        return outcome;
    }

    public async Task<ControlOutcome> CancelJobAsync(long jobId, CancellationToken ct)
    {
        var (outcome, toStop) = await db.InTransactionAsync(async tx =>
        {
            var job = await JobRepository.GetAsync(tx, jobId);
            if (job is null)
                return (ControlOutcome.NotFound, new List<long>());
            if (job.Status.IsFinished())
                return (ControlOutcome.Finished, []);
            if ((await RunRepository.GetAsync(tx, job.RunId))!.Service is not null)
                return (ControlOutcome.ServiceOwned, []);
            var now = clock.GetUtcNow();
            if (await JobStateRepository.CancelWaitingAsync(tx, jobId, now, "cancelled"))
            {
                var skipped = await JobStateRepository.PropagateSkipsAsync(tx, job.RunId, now);
                await JobStateRepository.RefreshRunAsync(tx, job.RunId, now);
                await publisher.PublishAsync(tx, [jobId, .. skipped], [job.RunId]);
                return (ControlOutcome.Accepted, []);
            }
            await JobStateRepository.RequestStopAsync(tx, jobId, "cancel");
            await publisher.PublishAsync(tx, [], [job.RunId]);
            return (ControlOutcome.Accepted, new List<long> { jobId });
        }, ct);
        AfterCancel(outcome, toStop);
        return outcome;
    }

    /// <summary>
    /// Stops every running attempt (stop signal, SIGKILL after at most <paramref name="maxStopTimeout"/>) and
    /// waits for their ends; false when some did not end in time.
    /// </summary>
    public async Task<bool> StopAllAsync(TimeSpan maxStopTimeout, CancellationToken ct)
    {
        var runs = await db.ReadAsync(RunRepository.UnfinishedIdsAsync, ct);
        foreach (var runId in runs)
            await CancelAsync(runId, asService: true, onlyIf: null, ct);
        var handles = active.All;
        using var deadline = new CancellationTokenSource(maxStopTimeout);
        deadline.Token.Register(() =>
        {
            foreach (var handle in handles.Where(h => !h.Ended.IsCompleted && Native.IsAlive(h.Job.Pid, h.Job.StartTime)))
                Native.Signal(-handle.Job.Pid, Native.SigKill);
        });
        var ended = Task.WhenAll(handles.Select(h => h.Ended));
        return await Task.WhenAny(ended, Task.Delay(maxStopTimeout + TimeSpan.FromSeconds(10), ct)) == ended;
    }

    void AfterCancel(ControlOutcome outcome, IReadOnlyList<long> toStop)
    {
        if (outcome != ControlOutcome.Accepted)
            return;
        foreach (var jobId in toStop)
            active.Find(jobId)?.RequestStop();
        scheduler.Wake();
    }
}
