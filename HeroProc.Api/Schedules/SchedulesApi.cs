using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Api.Supervision;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HeroProc.Api.Schedules;

public static class SchedulesApi
{
    public static RouteGroupBuilder MapSchedules(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/schedules").WithTags("Schedules").WithValidation();

        group.MapGet("/", List).WithSummary("List schedules by name.");
        group.MapGet("/{name}", Get).WithSummary("Get one schedule, with nextRunAt, lastRunAt, lastRunId and lastError.").ProducesProblem(404);
        group.MapPut("/{name}", Put).WithSummary("Create (201) or replace (200) a schedule.")
            .WithDescription("cron: 5 fields, or 6 with seconds first (Cronos). timeZone: IANA id, default UTC; across DST, a time " +
                             "skipped by the change does not fire and a time repeated fires once (Cronos semantics). enabled (default true), " +
                             "overlap: skip (default) | allow | cancel-previous, misfire: skip (default) | run-once, run: the body of " +
                             "POST /api/runs. An invalid expression or time zone, one that never fires, or a run that would be refused is a 400.");
        group.MapDelete("/{name}", Delete).WithSummary("Delete a schedule.").ProducesProblem(404);
        group.MapPost("/{name}/trigger", Trigger).WithSummary("Submit the schedule's run now (also when disabled; overlap is ignored).")
            .ProducesProblem(404);
        return group;
    }

    public static async Task<Ok<Page<ScheduleResponse>>> List([AsParameters] ScheduleListQuery query, Db db, CancellationToken ct)
    {
        var limit = query.LimitOr(PagingRules.DefaultLimit);
        var rows = await db.ReadAsync(tx => ScheduleRepository.ListAsync(tx, Cursor.DecodeKey(query.Cursor), limit + 1), ct);
        return TypedResults.Ok(Cursor.ToPage(rows, limit, r => Cursor.Encode(r.Name), ScheduleResponse.From));
    }

    public static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> Get(string name, Db db, CancellationToken ct) =>
        await db.ReadAsync(tx => ScheduleRepository.GetAsync(tx, name), ct) is { } row
            ? TypedResults.Ok(ScheduleResponse.From(row))
            : Problems.NotFound($"schedule '{name}'");

    public static async Task<Results<Created<ScheduleResponse>, Ok<ScheduleResponse>, ValidationProblem>> Put(
        string name, ScheduleSpec spec, Db db, ScheduleSignal signal, TimeProvider clock, CancellationToken ct)
    {
        if (!Names.IsResource(name))
            return RequestErrors.Of("name", Names.ResourceRule).ToProblem();
        var normalized = spec.Normalized();
        var result = await db.InTransactionAsync<Results<Created<ScheduleResponse>, Ok<ScheduleResponse>, ValidationProblem>>(async tx =>
        {
            // The run must be one a submit would accept now: checked against stored actions and secrets, in this transaction.
            var errors = await RunSubmission.ValidateAsync(tx, normalized.Run!);
            if (errors.Any)
                return RequestErrors.Of("run", errors.Describe()).ToProblem();
            var (row, created) = await ScheduleRepository.UpsertAsync(tx, name, ApiJson.Serialize(normalized), normalized.Enabled!.Value, clock.GetUtcNow());
            var response = ScheduleResponse.From(row);
            return created ? TypedResults.Created($"/api/schedules/{name}", response) : TypedResults.Ok(response);
        }, ct);
        signal.Wake();
        return result;
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, Db db, ScheduleSignal signal, CancellationToken ct)
    {
        var deleted = await db.InTransactionAsync(tx => ScheduleRepository.DeleteAsync(tx, name), ct);
        signal.Wake();
        return deleted ? TypedResults.NoContent() : Problems.NotFound($"schedule '{name}'");
    }

    public static async Task<Results<Created<RunResponse>, ValidationProblem, ProblemHttpResult>> Trigger(
        string name, Db db, SchedulerSignal scheduler, ChangePublisher publisher, TimeProvider clock, CancellationToken ct)
    {
        var result = await db.InTransactionAsync<Results<Created<RunResponse>, ValidationProblem, ProblemHttpResult>>(async tx =>
        {
            if (await ScheduleRepository.GetAsync(tx, name) is not { } row)
                return Problems.NotFound($"schedule '{name}'");
            var spec = ApiJson.Deserialize<ScheduleSpec>(row.SpecJson);
            return await ScheduleTicks.SubmitAsync(tx, name, spec.Run!, clock.GetUtcNow()) switch
            {
                SubmitOutcome.Created created => TypedResults.Created($"/api/runs/{created.RunId}", await RunsApi.LoadAndPublishAsync(tx, created.RunId, publisher)),
                SubmitOutcome.Rejected rejected => RequestErrors.Of("run", rejected.Errors.Describe()).ToProblem(),
                _ => Problems.Conflict("The schedule's run could not be submitted."),
            };
        }, ct);
        if (result.Result is Created<RunResponse>)
            scheduler.Wake();
        return result;
    }
}
