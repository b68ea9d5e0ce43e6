using HeroProc.Api.Runs;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>Reads changed jobs and runs after their commit and publishes them on the event hub.</summary>
public sealed class ChangePublisher(Db db, EventHub hub)
{
    public async Task PublishAsync(IEnumerable<long> jobIds, IEnumerable<long> runIds)
    {
        var jobs = jobIds.Distinct().ToList();
        var runs = runIds.Distinct().ToList();
        if (jobs.Count == 0 && runs.Count == 0)
            return;
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
