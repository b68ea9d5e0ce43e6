using System.Data;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
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

        group.MapGet("/", List).WithSummary("List services with their status (default limit 500).");
        group.MapGet("/{name}", Get).WithSummary("Get a service: definition, wanted status and status.").ProducesProblem(404);
        group.MapPut("/{name}", Define).WithSummary("Define (201) or redefine (200) a service with all its actions, in one transaction.")
            .WithDescription("A redefine replaces the whole action set. 'requires' and 'after' may name services that do not " +
                             "exist yet; a cycle among defined services or among the actions is a 400.");
        group.MapDelete("/{name}", Delete).WithSummary("Delete a service with its actions.")
            .WithDescription("409 while it is wanted started.").ProducesProblem(404).ProducesProblem(409);
        return group;
    }

    public static async Task<Ok<Page<ServiceSummary>>> List([AsParameters] ServiceListQuery query, Db db, CancellationToken ct)
    {
        var limit = query.LimitOr(DefaultListLimit);
        var services = await db.ReadAsync(async tx =>
        {
            var rows = await ServiceRepository.ListAsync(tx, Cursor.DecodeKey(query.Cursor), limit + 1);
            var actions = await ActionRepository.ListByServicesAsync(tx, rows.Select(r => r.Name).ToList());
            return rows.Select(row => ServiceResponse.From(row, actions[row.Name])).ToList();
        }, ct);
        return TypedResults.Ok(Cursor.ToPage(services, limit, s => Cursor.Encode(s.Name), ServiceSummary.From));
    }

    public static async Task<Results<Ok<ServiceResponse>, ProblemHttpResult>> Get(string name, Db db, CancellationToken ct) =>
        await db.ReadAsync(tx => LoadAsync(tx, name), ct) is { } service
            ? TypedResults.Ok(service)
            : Problems.NotFound($"service '{name}'");

    public static async Task<Results<Created<ServiceResponse>, Ok<ServiceResponse>, ValidationProblem>> Define(
        string name, ServiceDefinition definition, Db db, TimeProvider clock, CancellationToken ct)
    {
        if (!Names.IsResource(name))
            return RequestErrors.Of("name", Names.ResourceRule).ToProblem();

        return await db.InTransactionAsync<Results<Created<ServiceResponse>, Ok<ServiceResponse>, ValidationProblem>>(async tx =>
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

            var response = (await LoadAsync(tx, name))!;
            return existing is null ? TypedResults.Created($"/api/services/{name}", response) : TypedResults.Ok(response);
        }, ct);
    }

    public static Task<Results<NoContent, ProblemHttpResult>> Delete(string name, Db db, CancellationToken ct) =>
        db.InTransactionAsync<Results<NoContent, ProblemHttpResult>>(async tx =>
        {
            var service = await ServiceRepository.GetAsync(tx, name);
            if (service is null)
                return Problems.NotFound($"service '{name}'");
            if (service.WantedStatus == WantedStatus.Start)
                return Problems.Conflict($"Service '{name}' is wanted started: stop it first.");
            await ServiceRepository.DeleteAsync(tx, name);
            return TypedResults.NoContent();
        }, ct);

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

    static async Task<ServiceResponse?> LoadAsync(IDbTransaction tx, string name) =>
        await ServiceRepository.GetAsync(tx, name) is { } service
            ? ServiceResponse.From(service, await ActionRepository.ListByServiceAsync(tx, name))
            : null;
}
