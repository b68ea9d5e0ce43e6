using HeroProc.Api.Supervision;
using HeroProc.Data;
using Microsoft.Extensions.Options;

namespace HeroProc.Api.Runs;

/// <summary>
/// Deletes finished runs in batches (bulk delete and retention): each batch its own transaction, each
/// run whole, and the job files of a batch removed once it committed.
/// </summary>
public sealed class FinishedRunDeletion(Db db, JobPaths paths)
{
    const int MaxRunsPerBatch = 200;
    const int MaxJobsPerBatch = 5000;

    public async Task<int> DeleteAsync(IReadOnlyCollection<RunStatus> statuses, DateTimeOffset? finishedBefore, CancellationToken ct)
    {
        var deleted = 0;
        while (true)
        {
            var (runs, jobIds) = await db.InTransactionAsync(
                tx => RunRepository.DeleteFinishedBatchAsync(tx, statuses, finishedBefore, MaxRunsPerBatch, MaxJobsPerBatch), ct);
            paths.DeleteJobFiles(jobIds);
            deleted += runs;
            if (runs == 0)
                return deleted;
        }
    }
}

/// <summary>Deletes finished runs older than <c>HeroProc:Retention:Days</c>, hourly, with their logs.</summary>
public sealed class RunRetention(FinishedRunDeletion deletion, IOptions<HeroProcOptions> options, TimeProvider clock,
    ILogger<RunRetention> logger) : BackgroundService
{
    static readonly TimeSpan Period = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Period, clock);
        do
        {
            var days = options.Value.Retention.Days;
            if (days <= 0)
                continue;
            try
            {
                var deleted = await deletion.DeleteAsync(StatusSets.FinishedRun, clock.GetUtcNow() - TimeSpan.FromDays(days), stopping);
                if (deleted > 0)
                    logger.LogInformation("Retention deleted {Count} runs finished more than {Days} days ago", deleted, days);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError(e, "Retention failed; it tries again in an hour");
            }
        } while (await timer.WaitForNextTickAsync(stopping).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }
}
