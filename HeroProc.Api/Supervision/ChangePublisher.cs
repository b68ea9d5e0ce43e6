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
    /// <summary>Reads the jobs, runs and services as <paramref name="tx"/> leaves them, and publishes them once it commits.</summary>
    public async Task PublishAsync(IDbTransaction tx, IReadOnlyCollection<long> jobIds, IReadOnlyCollection<long> runIds,
        IReadOnlyCollection<string>? serviceNames = null) =>
        // Each in one statement, whatever the number of changes.
        await PublishRowsAsync(tx, jobIds.Count == 0 ? [] : await JobRepository.GetManyAsync(tx, jobIds), await ReadRunsAsync(tx, runIds), serviceNames);

    /// <summary>Publishes, once <paramref name="tx"/> commits, rows the caller holds as the transaction left them.</summary>
    public async Task PublishRowsAsync(IDbTransaction tx, IReadOnlyList<JobRow> jobs, IReadOnlyList<RunState> runs,
        IReadOnlyCollection<string>? serviceNames = null)
    {
        var names = (serviceNames ?? []).Concat(runs.Select(r => r.Run.Service).OfType<string>()).Distinct().ToList();
        var services = names.Count == 0 ? [] : await ServiceLoader.LoadSummariesAsync(tx, await ServiceRepository.GetManyAsync(tx, names), statuses);
        List<(string Type, object Value)> changes =
        [
            .. jobs.Select(job => ("job", (object)JobResponse.From(job))),
            .. runs.Select(state => ("run", (object)RunSummary.From(state.Run, state.Counts))),
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
                logger.LogError(e, "Could not publish changes of jobs {Jobs}, runs {Runs} and services {Services}",
                    jobs.Select(j => j.Id), runs.Select(r => r.Run.Id), names);
            }
        });
    }

    /// <summary>The runs with their counts, as <paramref name="tx"/> sees them (one statement each for all of them).</summary>
    public static async Task<IReadOnlyList<RunState>> ReadRunsAsync(IDbTransaction tx, IReadOnlyCollection<long> runIds)
    {
        if (runIds.Count == 0)
            return [];
        var counts = (await RunRepository.JobCountsAsync(tx, runIds)).ToLookup(c => c.RunId);
        return [.. (await RunRepository.GetManyAsync(tx, runIds)).Select(run => new RunState(run, [.. counts[run.Id]]))];
    }
}
