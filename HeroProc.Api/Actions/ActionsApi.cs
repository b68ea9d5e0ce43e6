using HeroProc.Api.Http;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HeroProc.Api.Actions;

public static class ActionsApi
{
    public static RouteGroupBuilder MapActions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/actions").WithTags("Actions").WithValidation();

        group.MapGet("/", List).WithSummary("List actions by name, standalone and service-owned ('<service>.<action>').");
        group.MapGet("/{name}", Get).WithSummary("Get one action.").ProducesProblem(404);
        group.MapPut("/{name}", Put).WithSummary("Create (201) or replace (200) a standalone action.")
            .WithDescription("Jobs keep a snapshot of their spec: replacing an action never changes a run already submitted. " +
                             "A service-owned name is 409: change it through its service.")
            .ProducesProblem(409);
        group.MapDelete("/{name}", Delete).WithSummary("Delete a standalone action.")
            .WithDescription("409 while a schedule's run names it, or for a service-owned action.")
            .ProducesProblem(404).ProducesProblem(409);
        return group;
    }

    public static async Task<Ok<Page<ActionResponse>>> List([AsParameters] ActionListQuery query, Db db, CancellationToken ct)
    {
        var limit = query.LimitOr(PagingRules.DefaultLimit);
        var rows = await db.ReadAsync(tx => ActionRepository.ListAsync(tx, query.Tag, Cursor.DecodeKey(query.Cursor), limit + 1), ct);
        return TypedResults.Ok(Cursor.ToPage(rows, limit, r => Cursor.Encode(r.Name), ActionResponse.From));
    }

    public static async Task<Results<Ok<ActionResponse>, ProblemHttpResult>> Get(string name, Db db, CancellationToken ct) =>
        await db.ReadAsync(tx => ActionRepository.GetAsync(tx, name), ct) is { } row
            ? TypedResults.Ok(ActionResponse.From(row))
            : Problems.NotFound($"action '{name}'");

    public static async Task<Results<Created<ActionResponse>, Ok<ActionResponse>, ValidationProblem, ProblemHttpResult>> Put(
        string name, ActionSpec spec, Db db, TimeProvider clock, CancellationToken ct)
    {
        var isServiceOwned = Names.IsServiceOwned(name);
        if (!isServiceOwned && !Names.IsResource(name))
            return RequestErrors.Of("name", Names.ResourceRule).ToProblem();

        return await db.InTransactionAsync<Results<Created<ActionResponse>, Ok<ActionResponse>, ValidationProblem, ProblemHttpResult>>(async tx =>
        {
            var existing = await ActionRepository.GetAsync(tx, name);
            if (isServiceOwned)
                return existing is null
                    ? RequestErrors.Of("name", Names.ResourceRule).ToProblem()
                    : Problems.Conflict($"Action '{name}' belongs to service '{existing.Service}': change it through the service.");

            var normalized = spec.Normalized();
            var errors = await SecretChecks.MissingAsync(tx, normalized.Secrets!, "secrets");
            if (normalized.DependsOn!.Contains(name))
                errors.Add("dependsOn", $"action '{name}' must not depend on itself: every run naming it would be a cycle");
            if (errors.Any)
                return errors.ToProblem();

            var row = await ActionRepository.UpsertStandaloneAsync(
                tx, name, ApiJson.Serialize(normalized), ApiJson.Serialize(normalized.Tags), clock.GetUtcNow());
            var response = ActionResponse.From(row);
            return existing is null ? TypedResults.Created($"/api/actions/{name}", response) : TypedResults.Ok(response);
        }, ct);
    }

    public static Task<Results<NoContent, ProblemHttpResult>> Delete(string name, Db db, CancellationToken ct) =>
        db.InTransactionAsync<Results<NoContent, ProblemHttpResult>>(async tx =>
        {
            var existing = await ActionRepository.GetAsync(tx, name);
            if (existing is null)
                return Problems.NotFound($"action '{name}'");
            if (existing.Service is not null)
                return Problems.Conflict($"Action '{name}' belongs to service '{existing.Service}': change it through the service.");
            if (await DefinitionLookups.ScheduleNamingActionAsync(tx, name) is { } schedule)
                return Problems.Conflict($"Action '{name}' is named by the run of schedule '{schedule}'.");

            await ActionRepository.DeleteStandaloneAsync(tx, name);
            return TypedResults.NoContent();
        }, ct);
}
