using HeroProc.Api.Runs;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Reads changed jobs and runs after their commit and publishes them on the event hub. Publishes are
/// serialized, read and send together: a publisher that read an older state can never send it after
/// one that read a newer state, so the last event a client sees of a run is its latest state.
/// </summary>
public sealed class ChangePublisher(Db db, EventHub hub, ILogger<ChangePublisher> logger)
{
    readonly SemaphoreSlim _order = new(1, 1);

    public async Task PublishAsync(IEnumerable<long> jobIds, IEnumerable<long> runIds)
    {
        var jobs = jobIds.Distinct().ToList();
        var runs = runIds.Distinct().ToList();
        if (jobs.Count == 0 && runs.Count == 0)
            return;
        await _order.WaitAsync();
        try
        {
            await ReadAndPublishAsync(jobs, runs);
        }
        catch (Exception e)
        {
            // The change itself is committed: a lost event must not turn it into an error or stop a job.
            logger.LogError(e, "Could not publish changes of jobs {Jobs} and runs {Runs}", jobs, runs);
        }
        finally
        {
            _order.Release();
        }
    }

    async Task ReadAndPublishAsync(List<long> jobs, List<long> runs)
    {
        var (jobRows, runRows, counts) = await db.ReadAsync(async tx =>
        {
            var jobList = new List<JobRow>();
            foreach (var id in jobs)
                if (await JobRepository.GetAsync(tx, id) is { } job) jobList.Add(job);
            var runList = new List<RunRow>();
            foreach (var id in runs)
                if (await RunRepository.GetAsync(tx, id) is { } run) runList.Add(run);
            return (jobList, runList, await RunRepository.JobCountsAsync(tx, runs));
        });
        foreach (var job in jobRows)
            hub.Publish("job", JobResponse.From(job));
        var countsByRun = counts.ToLookup(c => c.RunId);
        foreach (var run in runRows)
            hub.Publish("run", RunSummary.From(run, countsByRun[run.Id]));
    }
}
