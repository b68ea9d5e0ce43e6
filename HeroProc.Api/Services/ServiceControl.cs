using System.Data;
using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>What a start, stop or restart request came to.</summary>
public abstract record ServiceRequestOutcome
{
    public sealed record Accepted : ServiceRequestOutcome;
    public sealed record NotFound : ServiceRequestOutcome;
    public sealed record Conflict(string Detail) : ServiceRequestOutcome;
}

/// <summary>
/// Start, stop and restart (API.md, "Start, stop and boot"). A request only records intent, in one
/// transaction across the services it touches: <c>wantedStatus</c>, and whether a new run is needed.
/// The <see cref="ServiceSupervisor"/> then carries it out in dependency order.
/// </summary>
public sealed class ServiceControl(Db db, ServiceSignal signal, ChangePublisher publisher, TimeProvider clock)
{
    /// <summary>Wants the service and its requirements (transitively) started; those not running get a new run.</summary>
    public Task<ServiceRequestOutcome> StartAsync(string name, CancellationToken ct) =>
        RequestAsync(name, "start requested", (tx, graph, runs, now) => WantStartedAsync(tx, graph, runs, name, restart: false, now), ct);

    /// <summary>Wants the service and every service that requires it (transitively) stopped.</summary>
    public Task<ServiceRequestOutcome> StopAsync(string name, CancellationToken ct) =>
        RequestAsync(name, "stop requested", async (tx, graph, _, now) =>
        {
            var services = graph.WithDependents(name);
            foreach (var service in services)
                await ServiceRepository.SetWantedAsync(tx, service, WantedStatus.Stop, needsRun: false, now);
            return new Touched(services);
        }, ct);

    /// <summary>
    /// Stops the running dependents, then the service, starts it with a fresh run, then those dependents
    /// again: each of them is marked as needing a new run, and the supervisor orders the rest.
    /// </summary>
    public Task<ServiceRequestOutcome> RestartAsync(string name, CancellationToken ct) =>
        RequestAsync(name, "restart requested", async (tx, graph, runs, now) =>
        {
            var change = await WantStartedAsync(tx, graph, runs, name, restart: true, now);
            if (change is not Touched started)
                return change;
            var dependents = graph.WithDependents(name).Skip(1).Where(d => IsActive(graph.Find(d)!, runs)).ToList();
            foreach (var dependent in dependents)
                await ServiceRepository.SetWantedAsync(tx, dependent, WantedStatus.Start, needsRun: true, now);
            return new Touched([.. started.Services, .. dependents]);
        }, ct);

    /// <summary>What a request's change came to: the services it touched, or a conflict that wrote nothing.</summary>
    abstract record Change;
    sealed record Touched(IReadOnlyList<string> Services) : Change;
    sealed record Refused(string Detail) : Change;

    async Task<ServiceRequestOutcome> RequestAsync(string name, string detail,
        Func<IDbTransaction, ServiceGraph, IReadOnlyDictionary<long, RunRow>, DateTimeOffset, Task<Change>> apply, CancellationToken ct)
    {
        var outcome = await db.InTransactionAsync<ServiceRequestOutcome>(async tx =>
        {
            var graph = new ServiceGraph(await ServiceRepository.ListAllAsync(tx));
            if (graph.Find(name) is null)
                return new ServiceRequestOutcome.NotFound();
            var runs = await ServiceLoader.RunsOfAsync(tx, graph.All);
            var now = clock.GetUtcNow();
            var change = await apply(tx, graph, runs, now);
            if (change is Refused refused)
                return new ServiceRequestOutcome.Conflict(refused.Detail);
            var state = detail.StartsWith("stop", StringComparison.Ordinal) ? "stopping" : "starting";
            var services = ((Touched)change).Services;
            foreach (var service in services)
                await ServiceRepository.AddEventAsync(tx, service, state, null, now, service == name ? detail : $"{detail} through '{name}'");
            await publisher.PublishAsync(tx, [], [], services);
            return new ServiceRequestOutcome.Accepted();
        }, ct);
        if (outcome is ServiceRequestOutcome.Accepted)
            signal.Wake();
        return outcome;
    }

    /// <summary>The services it wants started; or the conflict (a requirement that is not defined), found before anything is written.</summary>
    static async Task<Change> WantStartedAsync(IDbTransaction tx, ServiceGraph graph, IReadOnlyDictionary<long, RunRow> runs,
        string name, bool restart, DateTimeOffset now)
    {
        var services = graph.WithRequirements(name);
        if (services.FirstOrDefault(s => graph.Find(s) is null) is { } unknown)
        {
            var requiredBy = services.First(s => graph.Requires(s).Contains(unknown));
            return new Refused($"Service '{requiredBy}' requires '{unknown}', which is not defined.");
        }
        foreach (var service in services)
        {
            var row = graph.Find(service)!;
            // A service already running stays as it is; one stopping comes back once it has stopped.
            var needsRun = (restart && service == name) || row.NeedsRun || !IsActive(row, runs) || runs[row.RunId!.Value].CancelRequested;
            await ServiceRepository.SetWantedAsync(tx, service, WantedStatus.Start, needsRun, now);
        }
        return new Touched(services);
    }

    static bool IsActive(ServiceRow service, IReadOnlyDictionary<long, RunRow> runs) =>
        service.RunId is { } id && runs.TryGetValue(id, out var run) && !run.Status.IsFinished();
}
