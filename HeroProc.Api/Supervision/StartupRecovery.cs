using Dapper;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// What the server does, before scheduling, with jobs a previous server process left starting or
/// running. For now it stops whatever is left of them (so nothing is orphaned) and records them as
/// failed; re-adopting live jobs is the crash-safety step that builds on this.
/// </summary>
public sealed class StartupRecovery(Db db, ChangePublisher publisher, TimeProvider clock, ILogger<StartupRecovery> logger)
{
    public int Lost { get; private set; }

    public async Task RecoverAsync(CancellationToken ct)
    {
        var leftovers = await db.ReadAsync(async tx => (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {JobRepository.Columns} FROM jobs WHERE status IN ('starting', 'running')", transaction: tx)).AsList(), ct);
        foreach (var job in leftovers)
        {
            if (job.BootId == Native.BootId)
            {
                if (job.Pid is { } pid && job.PidStartTime is { } start && Native.IsAlive(pid, start))
                    Native.Signal(-pid, Native.SigKill);
                if (job.ShimPid is { } shim && job.ShimStartTime is { } shimStart && Native.IsAlive(shim, shimStart))
                    Native.Signal(shim, Native.SigKill);
            }
            var now = clock.GetUtcNow();
            await db.InTransactionAsync(async tx =>
            {
                var end = new AttemptEnd(JobStatus.Failed, null, null, "lost: the server stopped while the job ran", null, "lost at server start");
                await JobStateRepository.EndAttemptAsync(tx, job.Id, job.Attempt, end, now);
                await JobStateRepository.PropagateSkipsAsync(tx, job.RunId, now);
                await JobStateRepository.RefreshRunAsync(tx, job.RunId, now);
            }, ct);
            await publisher.PublishAsync([job.Id], [job.RunId]);
            Lost++;
        }
        if (Lost > 0)
            logger.LogWarning("{Count} jobs were left running by the previous server process and were marked lost", Lost);
    }
}
