using HeroProc.Api.Http;
using HeroProc.Api.Jobs;
using HeroProc.Api.Supervision;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HeroProc.Api.Runs;

public static class RunsApi
{
    public static RouteGroupBuilder MapRuns(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/runs").WithTags("Runs").WithValidation();

        group.MapPost("/", Submit).WithSummary("Submit a run: a DAG of jobs, created all-or-nothing.")
            .WithDescription("The run, all its jobs and their first events are written in one transaction. " +
                             "With an Idempotency-Key (1–128 characters, kept 24 hours), a repeat with the same JSON body " +
                             "returns the first run with 200; the same key with a different body is a 422.")
            .ProducesProblem(422);
        group.MapGet("/", List).WithSummary("List runs, newest first, with job counts by status.");
        group.MapGet("/{id:long}", Get).WithSummary("Get a run with its jobs.").ProducesProblem(404);
        group.MapDelete("/{id:long}", Delete).WithSummary("Delete a finished run with its jobs and logs.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapDelete("/", BulkDelete).WithSummary("Delete finished runs in batches, each run whole.")
            .WithDescription("'before' compares against finishedAt; at least one of 'status' and 'before' is required.");
        group.MapPost("/{id:long}/cancel", Cancel).WithSummary("Cancel a run: pending jobs end cancelled, running ones are stopped as a group.")
            .WithDescription("Each running job's process group gets its stop signal, then SIGKILL after stopTimeoutSecs. " +
                             "409 when the run has finished, or belongs to a service (stop the service instead).")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{id:long}/retry", Retry).WithSummary("Retry a finished run: a new run of its failed, timed-out, cancelled and skipped jobs.")
            .WithDescription("Dependencies on jobs that succeeded in the original run are dropped. 409 when the run is unfinished, " +
                             "fully succeeded, or belongs to a service.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/{id:long}/logs", Logs).WithSummary("The output of all the run's jobs, ordered by timestamp, then job, then seq.")
            .WithDescription("'after' is the opaque 'next' of the previous page.").ProducesProblem(404);
        return group;
    }

    public static async Task<Results<Created<RunResponse>, Ok<RunResponse>, ValidationProblem, ProblemHttpResult>> Submit(
        SubmitRunRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        Db db, TimeProvider clock, SchedulerSignal scheduler, ChangePublisher publisher, CancellationToken ct)
    {
        if (idempotencyKey is not null && idempotencyKey.Length is 0 or > 128)
            return RequestErrors.Of("Idempotency-Key", "must be 1 to 128 characters").ToProblem();

        var result = await db.InTransactionAsync<Results<Created<RunResponse>, Ok<RunResponse>, ValidationProblem, ProblemHttpResult>>(async tx =>
        {
            switch (await RunSubmission.SubmitAsync(tx, request, idempotencyKey, clock.GetUtcNow()))
            {
                case SubmitOutcome.Created created:
                    // The run event carries its job counts; one event per pending job would flood subscribers on a 10,000-job submit.
                    return TypedResults.Created($"/api/runs/{created.RunId}", await LoadAndPublishAsync(tx, created.RunId, publisher));
                case SubmitOutcome.Replayed replayed:
                    return TypedResults.Ok((await LoadAsync(tx, replayed.RunId))!);
                case SubmitOutcome.Rejected rejected:
                    return rejected.Errors.ToProblem();
                default:
                    return Problems.Unprocessable($"Idempotency-Key '{idempotencyKey}' was used with a different body.");
            }
        }, ct);
        if (result.Result is Created<RunResponse>)
            scheduler.Wake();
        return result;
    }

    public static async Task<Ok<Page<RunSummary>>> List([AsParameters] RunListQuery query, Db db, CancellationToken ct)
    {
        var limit = query.LimitOr(PagingRules.DefaultLimit);
        var filter = new RunFilter(
            query.Status is null ? null : EnumText<RunStatus>.Parse(query.Status), query.Service, query.Schedule, query.Tag, query.Since);
        var (runs, counts) = await db.ReadAsync(async tx =>
        {
            var rows = await RunRepository.ListAsync(tx, filter, Cursor.DecodeId(query.Cursor), limit + 1);
            return (rows, await RunRepository.JobCountsAsync(tx, rows.Select(r => r.Id).ToList()));
        }, ct);
        var countsByRun = counts.ToLookup(c => c.RunId);
        return TypedResults.Ok(Cursor.ToPage(runs, limit, r => Cursor.Encode(r.Id), r => RunSummary.From(r, countsByRun[r.Id])));
    }

    public static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> Get(long id, Db db, CancellationToken ct) =>
        await db.ReadAsync(tx => LoadAsync(tx, id), ct) is { } run ? TypedResults.Ok(run) : Problems.NotFound($"run {id}");

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(long id, Db db, JobPaths paths, CancellationToken ct)
    {
        IReadOnlyList<long> jobIds = [];
        var result = await db.InTransactionAsync<Results<NoContent, ProblemHttpResult>>(async tx =>
        {
            var run = await RunRepository.GetAsync(tx, id);
            if (run is null)
                return Problems.NotFound($"run {id}");
            jobIds = (await JobRepository.ListByRunAsync(tx, id)).Select(j => j.Id).ToList();
            if (!await RunRepository.DeleteFinishedAsync(tx, id))
                return Problems.Conflict($"Run {id} is {run.Status.ToText()}: only a finished run can be deleted.");
            return TypedResults.NoContent();
        }, ct);
        if (result.Result is NoContent)
            paths.DeleteJobFiles(jobIds);
        return result;
    }

    public static async Task<Ok<BulkDeleteResponse>> BulkDelete([AsParameters] BulkDeleteQuery query, FinishedRunDeletion deletion, CancellationToken ct)
    {
        var statuses = query.Status is null ? StatusSets.FinishedRun : [EnumText<RunStatus>.Parse(query.Status)];
        return TypedResults.Ok(new BulkDeleteResponse(await deletion.DeleteAsync(statuses, query.Before, ct)));
    }

    public static async Task<Results<Accepted, ProblemHttpResult>> Cancel(long id, JobControl control, CancellationToken ct) =>
        await control.CancelRunAsync(id, ct) switch
        {
            ControlOutcome.Accepted => TypedResults.Accepted($"/api/runs/{id}"),
            ControlOutcome.NotFound => Problems.NotFound($"run {id}"),
            ControlOutcome.ServiceOwned => Problems.Conflict($"Run {id} belongs to a service: stop the service instead."),
            _ => Problems.Conflict($"Run {id} has already finished."),
        };

    public static async Task<Results<Created<RunResponse>, ProblemHttpResult>> Retry(
        long id, Db db, TimeProvider clock, SchedulerSignal scheduler, ChangePublisher publisher, CancellationToken ct)
    {
        var result = await db.InTransactionAsync<Results<Created<RunResponse>, ProblemHttpResult>>(async tx =>
            await RunRetry.RetryAsync(tx, id, clock.GetUtcNow()) switch
            {
                RunRetry.Outcome.Created created => TypedResults.Created($"/api/runs/{created.RunId}", await LoadAndPublishAsync(tx, created.RunId, publisher)),
                RunRetry.Outcome.Conflict conflict => Problems.Conflict(conflict.Detail),
                _ => Problems.NotFound($"run {id}"),
            }, ct);
        if (result.Result is Created<RunResponse>)
            scheduler.Wake();
        return result;
    }

    public static async Task<Results<Ok<RunLogsResponse>, ProblemHttpResult>> Logs(
        long id, [AsParameters] RunLogsQuery query, RunLogs logs, CancellationToken ct) =>
        await logs.ReadAsync(id, query.After, query.Limit ?? LogsQueryRules.DefaultLimit, LogsQueryRules.Stream(query.Stream), ct) is { } page
            ? TypedResults.Ok(page)
            : Problems.NotFound($"run {id}");

    /// <summary>A run with its jobs, as every route answers it.</summary>
    internal static async Task<RunResponse?> LoadAsync(System.Data.IDbTransaction tx, long id) =>
        await RunRepository.GetAsync(tx, id) is { } run ? RunResponse.From(run, await JobRepository.ListByRunAsync(tx, id)) : null;

    /// <summary>A run just created in <paramref name="tx"/>, as answered, and published once it commits.</summary>
    internal static async Task<RunResponse> LoadAndPublishAsync(System.Data.IDbTransaction tx, long id, ChangePublisher publisher)
    {
        await publisher.PublishAsync(tx, [], [id]);
        return (await LoadAsync(tx, id))!;
    }
}

public sealed record BulkDeleteResponse(int Deleted);
