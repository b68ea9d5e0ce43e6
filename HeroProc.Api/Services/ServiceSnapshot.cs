using System.Data;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>A step the supervisor takes; each is applied in its own transaction.</summary>
public abstract record ServiceStep(string Service)
{
    public sealed record CreateRun(string Service) : ServiceStep(Service);
    public sealed record StopRun(string Service, long RunId, string Why) : ServiceStep(Service);
    /// <summary>
    /// The service fails because of <paramref name="Requirement"/>; taken only if neither the service nor the
    /// requirement changed since the snapshot (same run, same wish for a new run).
    /// </summary>
    public sealed record Fail(string Service, string Reason, long? RunToStop, bool NeedsRun, string Requirement, long? RequirementRunId) : ServiceStep(Service);
    /// <summary>A dependent still running under <paramref name="Cause"/>, to stop or restart, is told to stop or restart too.</summary>
    public sealed record Want(string Service, WantedStatus Wanted, bool NeedsRun, string Cause) : ServiceStep(Service);
}

/// <summary>Every service with its current run and that run's jobs, read in one transaction; plans the next steps.</summary>
public sealed class ServiceSnapshot
{
    readonly ServiceGraph _graph;
    readonly Dictionary<long, RunRow> _runs;
    readonly Dictionary<string, ServiceState> _states;

    ServiceSnapshot(ServiceGraph graph, Dictionary<long, RunRow> runs, ILookup<long, JobRow> jobs)
    {
        _graph = graph;
        _runs = runs;
        _states = graph.All.ToDictionary(s => s.Name, s => ServiceStates.Of(s, RunOf(s), RunOf(s) is { } run ? jobs[run.Id].ToList() : []).State, StringComparer.Ordinal);
    }

    public static async Task<ServiceSnapshot> LoadAsync(IDbTransaction tx)
    {
        var graph = new ServiceGraph(await ServiceRepository.ListAllAsync(tx));
        var runs = await ServiceLoader.RunsOfAsync(tx, graph.All);
        var jobs = await JobRepository.ListByRunsAsync(tx, runs.Keys);
        return new ServiceSnapshot(graph, runs, jobs.ToLookup(j => j.RunId));
    }

    public IEnumerable<ServiceStep> Plan()
    {
        foreach (var service in _graph.All)
        {
            if (PlanFor(service) is { } step)
                yield return step;
        }
    }

    ServiceStep? PlanFor(ServiceRow service)
    {
        var run = RunOf(service);
        var active = run is not null && !run.Status.IsFinished();
        var stopping = active && run!.CancelRequested;
        if (service.WantedStatus == WantedStatus.Start && service.Reason is null && (active || service.NeedsRun) &&
            FailedRequirement(service, waitingToStart: service.NeedsRun && !active) is { } failed)
            return new ServiceStep.Fail(service.Name, failed.Reason, active && !stopping ? run!.Id : null, service.NeedsRun,
                failed.Requirement, _graph.Find(failed.Requirement)?.RunId);

        if (active && !stopping && (service.WantedStatus == WantedStatus.Stop || service.NeedsRun))
        {
            // Dependents stop first, most dependent first: this one waits until none of them runs.
            var blocking = _graph.RequiredBy(service.Name).Select(_graph.Find).OfType<ServiceRow>().Where(IsActive).ToList();
            if (blocking.Count == 0)
                return new ServiceStep.StopRun(service.Name, run!.Id, service.NeedsRun && service.WantedStatus == WantedStatus.Start ? "stopping its processes to restart" : "stopping its processes");
            return blocking.Where(d => d.WantedStatus == WantedStatus.Start && !d.NeedsRun)
                .Select(d => new ServiceStep.Want(d.Name, service.WantedStatus, service.WantedStatus == WantedStatus.Start, service.Name))
                .FirstOrDefault();
        }

        if (service.WantedStatus == WantedStatus.Start && service.NeedsRun && !active &&
            _graph.Requires(service.Name).All(r => _states.TryGetValue(r, out var state) && ServiceStates.SatisfiesDependents(state)) &&
            _graph.After(service.Name).All(Settled))
            return new ServiceStep.CreateRun(service.Name);
        return null;
    }

    /// <summary>
    /// The requirement that makes the service fail, with why: one that failed; or, for a service about to
    /// start, one that is not defined. A running service keeps running when a redefine names a
    /// requirement not defined yet: that only matters at its next start.
    /// </summary>
    (string Requirement, string Reason)? FailedRequirement(ServiceRow service, bool waitingToStart)
    {
        foreach (var required in _graph.Requires(service.Name))
        {
            if (_graph.Find(required) is null)
            {
                if (waitingToStart)
                    return (required, $"requirement '{required}' is not defined");
            }
            else if (_states[required] == ServiceState.Failed)
            {
                return (required, $"requirement '{required}' failed");
            }
        }
        return null;
    }

    /// <summary>An <c>after</c> service that is not on its way up or down (or not defined, or not wanted) does not hold a start back.</summary>
    bool Settled(string name) =>
        _graph.Find(name) is not { WantedStatus: WantedStatus.Start } || _states[name] is not (ServiceState.Starting or ServiceState.Stopping);

    bool IsActive(ServiceRow service) => RunOf(service) is { } run && !run.Status.IsFinished();

    RunRow? RunOf(ServiceRow service) => service.RunId is { } id ? _runs.GetValueOrDefault(id) : null;
}
