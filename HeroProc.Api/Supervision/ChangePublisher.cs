using System.Data;
using HeroProc.Api.Runs;
using HeroProc.Api.Services;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Publishes committed changes on the event hub, in the order they were committed. A unit of work that
/// changes jobs, runs or services calls <see cref="PublishAsync"/> last, inside its transaction: the objects
/// are read as that transaction leaves them (from the writer's own pages, no read transaction of their own),
/// and go on the hub once it commits, before the next transaction's (Db.OnCommit). So a client sees every
/// committed state of a job, in order, and the last event it sees of a run is the run's latest state.
/// A change in a service's run also publishes the service, with its status.
/// </summary>
public sealed class ChangePublisher(EventHub hub, ServiceStatusReader statuses, ILogger<ChangePublisher> logger)
{
    /// <returns>The jobs' rows, as published.</returns>
    public async Task<IReadOnlyList<JobRow>> PublishAsync(IDbTransaction tx, IReadOnlyCollection<long> jobIds, IReadOnlyCollection<long> runIds,
        IReadOnlyCollection<string>? serviceNames = null)
    {
        // Each in one statement, whatever the number of changes.
        var jobs = jobIds.Count == 0 ? [] : await JobRepository.GetManyAsync(tx, jobIds);
        var runs = runIds.Count == 0 ? [] : await RunRepository.GetManyAsync(tx, runIds);
        var counts = runIds.Count == 0 ? [] : await RunRepository.JobCountsAsync(tx, runIds);
        var names = (serviceNames ?? []).Concat(runs.Select(r => r.Service).OfType<string>()).Distinct().ToList();
        var services = names.Count == 0 ? [] : await ServiceLoader.LoadSummariesAsync(tx, await ServiceRepository.GetManyAsync(tx, names), statuses);
        var countsByRun = counts.ToLookup(c => c.RunId);
        List<(string Type, object Value)> changes =
        [
            .. jobs.Select(job => ("job", (object)JobResponse.From(job))),
            .. runs.Select(run => ("run", (object)RunSummary.From(run, countsByRun[run.Id]))),
            .. services.Select(service => ("service", (object)service)),
        ];
        Db.OnCommit(tx, () =>
        {
            try
            {
                foreach (var (type, value) in changes)
                    hub.Publish(type, value);
            }
            catch (Exception e)
            {
                // The change itself is committed: a lost event must not turn it into an error or stop a job.
                logger.LogError(e, "Could not publish changes of jobs {Jobs}, runs {Runs} and services {Services}", jobIds, runIds, names);
            }
        });
        return jobs;
    }
}
