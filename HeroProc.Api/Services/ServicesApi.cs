using System.Data;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Jobs;
using HeroProc.Api.Runs;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HeroProc.Api.Services;

public static class ServicesApi
{
    /// <summary>One request is the status of everything.</summary>
    const int DefaultListLimit = 500;

    public static RouteGroupBuilder MapServices(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/services").WithTags("Services").WithValidation();

        group.MapGet("/", List).WithSummary("List services with their status (default limit 500): the status of everything in one call.");
        group.MapGet("/{name}", Get).WithSummary("Get a service: definition, wanted status and status.").ProducesProblem(404);
        group.MapPut("/{name}", Define).WithSummary("Define (201) or redefine (200) a service with all its actions, in one transaction.")
            .WithDescription("A redefine replaces the whole action set; a running service keeps its processes until it is restarted. " +
                             "'requires' and 'after' may name services that do not exist yet; a cycle among defined services or among the actions is a 400.");
        group.MapDelete("/{name}", Delete).WithSummary("Delete a service with its actions.")
            .WithDescription("409 while it is wanted started or any of its processes runs.").ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{name}/start", Start).WithSummary("Start the service, after its requirements (202).")
            .WithDescription("Sets wantedStatus to start on the service and on its requires, transitively. 409 when a requires names a service that is not defined.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{name}/stop", Stop).WithSummary("Stop the service, after the services that require it (202).")
            .WithDescription("Sets wantedStatus to stop on the service and on every service that requires it, transitively.").ProducesProblem(404);
        group.MapPost("/{name}/restart", Restart).WithSummary("Restart the service with a fresh run, and its running dependents (202).")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/{name}/logs", Logs).WithSummary("The logs of the service's current or last run, in the run-logs shape.")
            .WithDescription("A service never started gives an empty list with runId null.").ProducesProblem(404);
        group.MapGet("/{name}/events", Events).WithSummary("The service's history, oldest first: state changes, restarts, probe transitions, requests.")
            .WithDescription("The newest 1000 events are kept.").ProducesProblem(404);
        return group;
    }

    public static async Task<Ok<Page<ServiceSummary>>> List(
        [AsParameters] ServiceListQuery query, Db db, ServiceStatusReader statuses, CancellationToken ct)
    {
        var limit = query.LimitOr(DefaultListLimit);
        var services = await db.ReadAsync(async tx =>
            await ServiceLoader.LoadSummariesAsync(tx, await ServiceRepository.ListAsync(tx, Cursor.DecodeKey(query.Cursor), limit + 1), statuses), ct);
        return TypedResults.Ok(Cursor.ToPage(services.ToList(), limit, s => Cursor.Encode(s.Name), s => s));
    }

    public static async Task<Results<Ok<ServiceResponse>, ProblemHttpResult>> Get(string name, Db db, ServiceStatusReader statuses, CancellationToken ct) =>
        await db.ReadAsync(tx => ServiceLoader.LoadAsync(tx, name, statuses), ct) is { } service
            ? TypedResults.Ok(service)
            : Problems.NotFound($"service '{name}'");

    public static async Task<Results<Created<ServiceResponse>, Ok<ServiceResponse>, ValidationProblem>> Define(
        string name, ServiceDefinition definition, Db db, ServiceStatusReader statuses, ServiceSignal supervisor, TimeProvider clock, CancellationToken ct)
    {
        if (!Names.IsResource(name))
            return RequestErrors.Of("name", Names.ResourceRule).ToProblem();

        var result = await db.InTransactionAsync<Results<Created<ServiceResponse>, Ok<ServiceResponse>, ValidationProblem>>(async tx =>
        {
            var existing = await ServiceRepository.GetAsync(tx, name);
            var actions = definition.Actions!.Select(a => (Name: a.Name!, Spec: ((ActionSpec)a).Normalized())).ToList();
            var errors = await CheckServiceGraphAsync(tx, name, definition);
            await SecretChecks.MissingAsync(tx, actions.SelectMany(a => a.Spec.Secrets!).ToList(), "actions.secrets", errors);
            if (errors.Any)
                return errors.ToProblem();

            var now = clock.GetUtcNow();
            await ServiceRepository.UpsertAsync(tx, name, definition.Description,
                ApiJson.Serialize(definition.Requires ?? []), ApiJson.Serialize(definition.After ?? []), now);
            await ActionRepository.ReplaceServiceActionsAsync(tx, name,
                actions.Select(a => (Names.ServiceAction(name, a.Name), ApiJson.Serialize(a.Spec), ApiJson.Serialize(a.Spec.Tags))).ToList(), now);

            var response = (await ServiceLoader.LoadAsync(tx, name, statuses))!;
            return existing is null ? TypedResults.Created($"/api/services/{name}", response) : TypedResults.Ok(response);
        }, ct);
        // A new 'requires' or 'after' may let a waiting service start, or hold one back: the supervisor looks again.
        supervisor.Wake();
        return result;
    }

    public static Task<Results<NoContent, ProblemHttpResult>> Delete(string name, Db db, CancellationToken ct) =>
        db.InTransactionAsync<Results<NoContent, ProblemHttpResult>>(async tx =>
        {
            var service = await ServiceRepository.GetAsync(tx, name);
            if (service is null)
                return Problems.NotFound($"service '{name}'");
            if (service.WantedStatus == WantedStatus.Start)
                return Problems.Conflict($"Service '{name}' is wanted started: stop it first.");
            if (service.RunId is { } runId && await RunRepository.GetAsync(tx, runId) is { } run && !run.Status.IsFinished())
                return Problems.Conflict($"Service '{name}' still has processes running (run {runId}): wait until it has stopped.");
            await ServiceRepository.DeleteAsync(tx, name);
            return TypedResults.NoContent();
        }, ct);

    public static async Task<Results<Accepted<ServiceResponse>, ProblemHttpResult>> Start(
        string name, ServiceControl control, Db db, ServiceStatusReader statuses, CancellationToken ct) =>
        await Answer(name, await control.StartAsync(name, ct), db, statuses, ct);

    public static async Task<Results<Accepted<ServiceResponse>, ProblemHttpResult>> Stop(
        string name, ServiceControl control, Db db, ServiceStatusReader statuses, CancellationToken ct) =>
        await Answer(name, await control.StopAsync(name, ct), db, statuses, ct);

    public static async Task<Results<Accepted<ServiceResponse>, ProblemHttpResult>> Restart(
        string name, ServiceControl control, Db db, ServiceStatusReader statuses, CancellationToken ct) =>
        await Answer(name, await control.RestartAsync(name, ct), db, statuses, ct);

    /// <summary>202 with the service as it is now: the request is recorded, the supervisor carries it out.</summary>
    static async Task<Results<Accepted<ServiceResponse>, ProblemHttpResult>> Answer(
        string name, ServiceRequestOutcome outcome, Db db, ServiceStatusReader statuses, CancellationToken ct) => outcome switch
        {
            ServiceRequestOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
            ServiceRequestOutcome.Accepted when await db.ReadAsync(tx => ServiceLoader.LoadAsync(tx, name, statuses), ct) is { } service =>
                TypedResults.Accepted($"/api/services/{name}", service),
            _ => Problems.NotFound($"service '{name}'"),
        };

    public static async Task<Results<Ok<RunLogsResponse>, ProblemHttpResult>> Logs(
        string name, [AsParameters] RunLogsQuery query, Db db, RunLogs logs, CancellationToken ct)
    {
        var service = await db.ReadAsync(tx => ServiceRepository.GetAsync(tx, name), ct);
        if (service is null)
            return Problems.NotFound($"service '{name}'");
        var page = service.RunId is { } runId
            ? await logs.ReadAsync(runId, query.After, query.Limit ?? LogsQueryRules.DefaultLimit, LogsQueryRules.Stream(query.Stream), ct)
            : null;
        return TypedResults.Ok(page ?? new RunLogsResponse(null, [], query.After ?? "", true));
    }

    public static async Task<Results<Ok<IReadOnlyList<ServiceEventResponse>>, ProblemHttpResult>> Events(string name, Db db, CancellationToken ct)
    {
        var events = await db.ReadAsync(async tx =>
            await ServiceRepository.GetAsync(tx, name) is null ? null : await ServiceRepository.EventsAsync(tx, name), ct);
        return events is null
            ? Problems.NotFound($"service '{name}'")
            : TypedResults.Ok<IReadOnlyList<ServiceEventResponse>>(events.Select(ServiceEventResponse.From).ToList());
    }

    /// <summary>A cycle through 'requires' and 'after' among the stored services, with this definition in place.</summary>
    static async Task<RequestErrors> CheckServiceGraphAsync(IDbTransaction tx, string name, ServiceDefinition definition)
    {
        var edges = (await ServiceRepository.ListAllAsync(tx)).ToDictionary(
            s => s.Name,
            s => (IReadOnlyList<string>)[.. ApiJson.Deserialize<List<string>>(s.RequiresJson), .. ApiJson.Deserialize<List<string>>(s.AfterJson)],
            StringComparer.Ordinal);
        edges[name] = [.. definition.Requires ?? [], .. definition.After ?? []];
        var errors = new RequestErrors();
        if (DependencyGraph.FindCycle(edges) is { } cycle)
            errors.Add("requires", "service " + DependencyGraph.Describe(cycle) + " (through 'requires' and 'after')");
        return errors;
    }
}
