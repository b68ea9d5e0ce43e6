using FluentValidation;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Api.Supervision;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HeroProc.Api.Jobs;

public static class JobsApi
{
    public static RouteGroupBuilder MapJobs(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").WithValidation();

        group.MapGet("/", List).WithSummary("List jobs, newest first.");
        group.MapGet("/{id:long}", Get).WithSummary("Get one job.").ProducesProblem(404);
        group.MapGet("/{id:long}/events", Events).WithSummary("The job's state history, oldest first; 'pending' is its first entry.")
            .ProducesProblem(404);
        group.MapPost("/{id:long}/cancel", Cancel).WithSummary("Cancel a job; its dependents become skipped.")
            .WithDescription("A running job's process group gets its stop signal, then SIGKILL after stopTimeoutSecs. " +
                             "409 when it has finished, or belongs to a service's run.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/{id:long}/logs", Logs).WithSummary("The job's output lines with seq above 'after'.")
            .WithDescription("'next' is the value to pass as 'after' for the following lines; 'complete' means the job " +
                             "has ended and no line follows.")
            .ProducesProblem(404);
        group.MapGet("/{id:long}/logs/stream", JobLogStream.StreamAsync)
            .WithSummary("text/event-stream of the job's output: past lines, then new ones until the job ends.")
            .WithDescription("Each line is an event 'line' whose id is its seq (reconnect with Last-Event-ID); a last event 'end' carries the job.")
            .Produces(200, contentType: "text/event-stream").ProducesProblem(404);
        return group;
    }

    public static async Task<Ok<Page<JobResponse>>> List([AsParameters] JobListQuery query, Db db, CancellationToken ct)
    {
        var limit = query.LimitOr(PagingRules.DefaultLimit);
        var filter = new JobFilter(query.RunId, query.Status is null ? null : EnumText<JobStatus>.Parse(query.Status), query.Action);
        var rows = await db.ReadAsync(tx => JobRepository.ListAsync(tx, filter, Cursor.DecodeId(query.Cursor), limit + 1), ct);
        return TypedResults.Ok(Cursor.ToPage(rows, limit, r => Cursor.Encode(r.Id), JobResponse.From));
    }

    public static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> Get(long id, Db db, CancellationToken ct) =>
        await db.ReadAsync(tx => JobRepository.GetAsync(tx, id), ct) is { } job
            ? TypedResults.Ok(JobResponse.From(job))
            : Problems.NotFound($"job {id}");

    public static async Task<Results<Accepted, ProblemHttpResult>> Cancel(long id, JobControl control, CancellationToken ct) =>
        await control.CancelJobAsync(id, ct) switch
        {
            ControlOutcome.Accepted => TypedResults.Accepted($"/api/jobs/{id}"),
            ControlOutcome.NotFound => Problems.NotFound($"job {id}"),
            ControlOutcome.ServiceOwned => Problems.Conflict($"Job {id} belongs to a service's run: stop or restart the service instead."),
            _ => Problems.Conflict($"Job {id} has already finished."),
        };

    public static async Task<Results<Ok<JobLogsResponse>, ProblemHttpResult>> Logs(
        long id, [AsParameters] JobLogsQuery query, JobLogs logs, CancellationToken ct) =>
        await logs.ReadAsync(id, query.After ?? 0, query.Limit ?? LogsQueryRules.DefaultLimit, LogsQueryRules.Stream(query.Stream), ct) is { } page
            ? TypedResults.Ok(page)
            : Problems.NotFound($"job {id}");

    public static async Task<Results<Ok<List<JobEventResponse>>, ProblemHttpResult>> Events(long id, Db db, CancellationToken ct)
    {
        var events = await db.ReadAsync(async tx =>
            await JobRepository.GetAsync(tx, id) is null ? null : await JobRepository.EventsAsync(tx, id), ct);
        return events is null
            ? Problems.NotFound($"job {id}")
            : TypedResults.Ok(events.Select(e => new JobEventResponse(e.Status, e.Attempt, e.At, e.Detail)).ToList());
    }
}

public sealed record JobEventResponse(JobStatus Status, int Attempt, DateTimeOffset At, string? Detail);

/// <param name="Limit">Page size, 1–500 (default 50).</param>
/// <param name="Cursor">The nextCursor of the previous page.</param>
/// <param name="RunId">Only jobs of this run.</param>
/// <param name="Status">Only jobs in this status.</param>
/// <param name="Action">Only jobs of this stored action.</param>
public sealed record JobListQuery(int? Limit, string? Cursor, long? RunId, string? Status, string? Action) : IPageQuery;

sealed class JobListQueryValidator : AbstractValidator<JobListQuery>
{
    public JobListQueryValidator()
    {
        this.AddPagingRules(idCursor: true);
        RuleFor(q => q.Status).Must(s => EnumText<JobStatus>.TryParse(s, out _)).When(q => q.Status is not null)
            .WithMessage($"must be one of {string.Join(", ", EnumText<JobStatus>.Names)}");
    }
}
