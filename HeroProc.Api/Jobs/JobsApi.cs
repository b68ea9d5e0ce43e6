using FluentValidation;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
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
