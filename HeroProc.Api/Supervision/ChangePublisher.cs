using HeroProc.Api.Runs;
using HeroProc.Api.Services;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Reads changed jobs and runs after their commit and publishes them on the event hub. Publishes are
/// serialized, read and send together: a publisher that read an older state can never send it after
/// one that read a newer state, so the last event a client sees of a run is its latest state.
/// A change in a service's run also publishes the service, with its status.
/// </summary>
public sealed class ChangePublisher(Db db, EventHub hub, ServiceStatusReader statuses, ILogger<ChangePublisher> logger)
{
    readonly SemaphoreSlim _order = new(1, 1);

    public async Task PublishAsync(IEnumerable<long> jobIds, IEnumerable<long> runIds, IEnumerable<string>? serviceNames = null)
    {
        var jobs = jobIds.Distinct().ToList();
        var runs = runIds.Distinct().ToList();
        var services = (serviceNames ?? []).ToList();
        if (jobs.Count == 0 && runs.Count == 0 && services.Count == 0)
            return;
        await _order.WaitAsync();
        try
        {
            await ReadAndPublishAsync(jobs, runs, services);
        }
        catch (Exception e)
        {
            // The change itself is committed: a lost event must not turn it into an error or stop a job.
            logger.LogError(e, "Could not publish changes of jobs {Jobs}, runs {Runs} and services {Services}", jobs, runs, services);
        }
        finally
        {
            _order.Release();
        }
    }

    async Task ReadAndPublishAsync(List<long> jobs, List<long> runs, List<string> services)
    {
        var (jobRows, runRows, counts, serviceList) = await db.ReadAsync(async tx =>
        {
            var jobList = new List<JobRow>();
            foreach (var id in jobs)
                if (await JobRepository.GetAsync(tx, id) is { } job) jobList.Add(job);
            var runList = new List<RunRow>();
            foreach (var id in runs)
                if (await RunRepository.GetAsync(tx, id) is { } run) runList.Add(run);
            var names = services.Concat(runList.Select(r => r.Service).OfType<string>()).Distinct().ToList();
            return (jobList, runList, await RunRepository.JobCountsAsync(tx, runs),
                await ServiceLoader.LoadSummariesAsync(tx, await ServiceRepository.GetManyAsync(tx, names), statuses));
        });
        foreach (var job in jobRows)
            hub.Publish("job", JobResponse.From(job));
        var countsByRun = counts.ToLookup(c => c.RunId);
        foreach (var run in runRows)
            hub.Publish("run", RunSummary.From(run, countsByRun[run.Id]));
        foreach (var service in serviceList)
            hub.Publish("service", service);
    }
}
