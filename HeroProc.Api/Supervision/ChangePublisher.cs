using HeroProc.Api.Runs;
using HeroProc.Api.Services;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Reads changed jobs and runs after their commit and publishes them on the event hub. One drain loop
/// reads and sends, so a publisher that read an older state can never send it after one that read a
/// newer state: the last event a client sees of a run is its latest state. Changes that arrive while a
/// read is under way are gathered into the next one, so a busy server reads once for many commits
/// instead of once per commit. A change in a service's run also publishes the service, with its status.
/// </summary>
public sealed class ChangePublisher(Db db, EventHub hub, ServiceStatusReader statuses, ILogger<ChangePublisher> logger)
{
    readonly Lock _lock = new();
    readonly HashSet<long> _jobs = [];
    readonly HashSet<long> _runs = [];
    readonly HashSet<string> _services = new(StringComparer.Ordinal);
    TaskCompletionSource? _nextBatch;
    bool _draining;

    /// <summary>Completes once the given changes, read after this call, are on the hub.</summary>
    public Task PublishAsync(IEnumerable<long> jobIds, IEnumerable<long> runIds, IEnumerable<string>? serviceNames = null)
    {
        lock (_lock)
        {
            var added = false;
            foreach (var id in jobIds) added |= _jobs.Add(id);
            foreach (var id in runIds) added |= _runs.Add(id);
            foreach (var name in serviceNames ?? []) added |= _services.Add(name);
            if (!added && _nextBatch is null)
                return Task.CompletedTask;
            _nextBatch ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_draining)
            {
                _draining = true;
                _ = Task.Run(DrainAsync);
            }
            return _nextBatch.Task;
        }
    }

    async Task DrainAsync()
    {
        while (true)
        {
            List<long> jobs, runs;
            List<string> services;
            TaskCompletionSource batch;
            lock (_lock)
            {
                if (_nextBatch is null)
                {
                    _draining = false;
                    return;
                }
                (jobs, runs, services, batch) = ([.. _jobs], [.. _runs], [.. _services], _nextBatch);
                _jobs.Clear();
                _runs.Clear();
                _services.Clear();
                _nextBatch = null;
            }
            try
            {
                await ReadAndPublishAsync(jobs, runs, services);
            }
            catch (Exception e)
            {
                // The change itself is committed: a lost event must not turn it into an error or stop a job.
                logger.LogError(e, "Could not publish changes of jobs {Jobs}, runs {Runs} and services {Services}", jobs, runs, services);
            }
            batch.TrySetResult();
        }
    }

    async Task ReadAndPublishAsync(List<long> jobs, List<long> runs, List<string> services)
    {
        var (jobRows, runRows, counts, serviceList) = await db.ReadAsync(async tx =>
        {
            // Each in one statement, whatever the number of changes gathered.
            var jobList = await JobRepository.GetManyAsync(tx, jobs);
            var runList = await RunRepository.GetManyAsync(tx, runs);
            var names = services.Concat(runList.Select(r => r.Service).OfType<string>()).Distinct().ToList();
            return (jobList, runList, await RunRepository.JobCountsAsync(tx, runs),
                names.Count == 0 ? [] : await ServiceLoader.LoadSummariesAsync(tx, await ServiceRepository.GetManyAsync(tx, names), statuses));
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
