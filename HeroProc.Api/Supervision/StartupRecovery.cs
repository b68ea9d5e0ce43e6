using Dapper;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Before anything new is scheduled, takes back the jobs a previous server process left starting or
/// running, from the database and each attempt's shim files:
/// - the shim still runs (same boot, pid with its recorded start time): adopt it, ingest from where the
///   previous process stopped, wait for its exit with a pidfd;
/// - it ended while no server ran and left its status: ingest the rest and record that status;
/// - it vanished without a status: the job failed as lost, and its retry policy applies;
/// - a job left <c>starting</c> whose shim never wrote its pid was never spawned: it waits again;
/// - a job claimed in an earlier boot is lost (the reboot killed it), whatever its unsynced files say.
/// No job is ever started twice by recovery.
/// </summary>
public sealed class StartupRecovery(
    Db db, JobPaths paths, AttemptRunner runner, ProcessExitWatcher watcher, ChangePublisher publisher,
    TimeProvider clock, ILogger<StartupRecovery> logger)
{
    /// <summary>How long a shim spawned just before the crash gets to record itself in its state file.</summary>
    static readonly TimeSpan SpawnGrace = TimeSpan.FromSeconds(2);

    readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RecoveryCounts Counts { get; private set; } = new(0, 0, 0);

    /// <summary>Completes once recovery has run: what was still running has been re-adopted.</summary>
    public Task Done => _done.Task;

    public async Task RecoverAsync(CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var leftovers = await db.ReadAsync(async tx => (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {JobRepository.Columns} FROM jobs WHERE status IN ('starting', 'running') ORDER BY id", transaction: tx)).AsList(), ct);
        // A shim spawned just before the crash may not have recorded itself yet: give all of them
        // one grace period, so a spawned job is adopted rather than started a second time.
        foreach (var job in leftovers)
            paths.AdoptLegacyLayout(job.Id, job.Attempt);
        if (leftovers.Any(j => j.Status == JobStatus.Starting && (j.BootId is null || j.BootId == Native.BootId)
                               && paths.ReadState(j.Id, j.Attempt).Shim is null))
            await Task.Delay(SpawnGrace, ct);
        int adopted = 0, completed = 0, lost = 0;
        var endings = new List<Task>();
        foreach (var job in leftovers)
        {
            switch (await ResolveAsync(job, ct))
            {
                case Resolution.Adopted:
                    adopted++;
                    break;
                case Resolution.CompletedWhileDown completedWhileDown:
                    completed++;
                    endings.Add(completedWhileDown.Recorded);
                    break;
                case Resolution.Lost:
                    lost++;
                    break;
            }
        }
        // Jobs that ended while the server was down are recorded before scheduling: their dependents
        // must see their real status.
        await Task.WhenAll(endings);
        Counts = new RecoveryCounts(adopted, completed, lost);
        _done.TrySetResult();
        if (leftovers.Count > 0)
            logger.LogWarning("Recovery in {Milliseconds} ms: {Adopted} jobs adopted, {Completed} completed while down, {Lost} lost",
                started.ElapsedMilliseconds, adopted, completed, lost);
    }

    abstract record Resolution
    {
        public sealed record Adopted : Resolution;
        public sealed record CompletedWhileDown(Task Recorded) : Resolution;
        public sealed record Lost : Resolution;
        public sealed record NotStarted : Resolution;
    }

    async Task<Resolution> ResolveAsync(JobRow job, CancellationToken ct)
    {
        // A reboot killed every job. The boot is recorded at the claim (null only for claims by older servers); the
        // attempt's files are not synced, so after a reboot they may show anything, even an older attempt's lines
        // (SpareFiles), and are not read.
        if (job.BootId is { } bootId && bootId != Native.BootId)
        {
            await runner.RecordLostAsync(job, "the machine restarted while the job ran");
            return new Resolution.Lost();
        }
        var (shim, process, status) = paths.ReadState(job.Id, job.Attempt);
        if (job.Status == JobStatus.Running && job.ShimPid is { } shimPid && job.ShimStartTime is { } shimStart)
        {
            // The database's identity wins: files are only trusted for jobs that never reached 'running'.
            shim = new ProcessIdentity(shimPid, shimStart);
            process = job.Pid is { } pid && job.PidStartTime is { } start ? new ProcessIdentity(pid, start) : process;
        }

        if (shim is null)
        {
            if (job.Status == JobStatus.Starting && status is null)
            {
                await RevertAsync(job, ct);
                return new Resolution.NotStarted();
            }
            await runner.RecordLostAsync(job, "the job's shim left no state file");
            return new Resolution.Lost();
        }

        if (Native.IsAlive(shim.Value.Pid, shim.Value.StartTime))
        {
            // The shim records the job's identity right after starting it; until then there is none to record.
            process ??= await WaitForJobIdentityAsync(job, ct);
            var exited = watcher.WaitForExitAsync(shim.Value.Pid, shim.Value.StartTime);
            _ = runner.AdoptAsync(job, shim.Value, process ?? new ProcessIdentity(0, 0), exited, job.Status == JobStatus.Starting);
            return new Resolution.Adopted();
        }

        // Read again: a shim that exited since the first read has written its status by now.
        if (paths.ReadState(job.Id, job.Attempt).Status is not null)
            return new Resolution.CompletedWhileDown(runner.AdoptAsync(
                job, shim.Value, process ?? new ProcessIdentity(0, 0), Task.CompletedTask, job.Status == JobStatus.Starting));

        await runner.RecordLostAsync(job, "the job's process vanished while the server was down, without an exit status");
        return new Resolution.Lost();
    }

    /// <summary>A job left starting that was never spawned goes back to waiting, with the same attempt.</summary>
    async Task RevertAsync(JobRow job, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.InTransactionAsync(async tx =>
        {
            if (await tx.Connection!.ExecuteAsync(
                    "UPDATE jobs SET status = 'pending' WHERE id = @Id AND attempt = @Attempt AND status = 'starting'", job, tx) == 1)
                await JobStateRepository.AddEventAsync(tx, job.Id, JobStatus.Pending, job.Attempt, now, "not started: the server stopped first");
            await JobStateRepository.RefreshRunAsync(tx, job.RunId, now);
            await publisher.PublishAsync(tx, [job.Id], [job.RunId]);
        }, ct);
    }

    async Task<ProcessIdentity?> WaitForJobIdentityAsync(JobRow job, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + SpawnGrace;
        ProcessIdentity? identity;
        while ((identity = paths.ReadState(job.Id, job.Attempt).Job) is null && DateTime.UtcNow < deadline)
            await Task.Delay(10, ct);
        return identity;
    }
}

/// <summary>What the last start found of the jobs that were running when the server stopped.</summary>
public sealed record RecoveryCounts(int Adopted, int CompletedWhileDown, int Lost);
