using FluentValidation;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Validation;
using HeroProc.Data;

namespace HeroProc.Api.Runs;

/// <summary>The body of <c>POST /api/runs</c>: stored actions by name plus inline jobs.</summary>
public sealed record SubmitRunRequest
{
    /// <summary>Optional run name, 1–128 printable characters.</summary>
    public string? Name { get; init; }
    /// <summary>Standalone stored actions; each becomes a job named after the action.</summary>
    public List<string>? Actions { get; init; }
    /// <summary>Inline jobs: action specs with a name.</summary>
    public List<NamedActionSpec>? Jobs { get; init; }
    /// <summary>Environment of every job of the run; overrides each action's env.</summary>
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>At most this many jobs of the run at once, 1–1000.</summary>
    public int? MaxParallel { get; init; }
    public List<string>? Tags { get; init; }
}

sealed class SubmitRunRequestValidator : AbstractValidator<SubmitRunRequest>
{
    public SubmitRunRequestValidator()
    {
        RuleFor(r => r.Name).Must(Names.IsLabel).When(r => r.Name is not null).WithMessage("must be 1–128 printable characters");
        RuleForEach(r => r.Actions).Must(name => !Names.IsServiceOwned(name))
            .WithMessage("is a service-owned action: runs cannot name it");
        RuleForEach(r => r.Actions).Must(name => Names.IsServiceOwned(name) || Names.IsResource(name)).WithMessage(Names.ResourceRule);
        RuleForEach(r => r.Jobs).NotNull().WithMessage("must be a job spec")
            .SetValidator(new NamedActionSpecValidator(SpecUse.RunJob));
        RuleFor(r => (r.Actions == null ? 0 : r.Actions.Count) + (r.Jobs == null ? 0 : r.Jobs.Count))
            .InclusiveBetween(1, Limits.JobsPerRun).OverridePropertyName("jobs")
            .WithMessage($"a run has 1 to {Limits.JobsPerRun} jobs (stored actions plus inline jobs)");
        RuleFor(r => r.Env).MustBeEnv();
        RuleFor(r => r.MaxParallel).InclusiveBetween(1, Limits.MaxParallel);
        RuleFor(r => r.Tags).MustBeTags();
    }
}

public sealed record JobResponse(
    long Id, long RunId, string Name, string? Action, JobStatus Status, int Attempt, int? Pid, int? ExitCode, string? Signal,
    string? Error, IReadOnlyList<string> DependsOn, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public static JobResponse From(JobRow row) => new(
        row.Id, row.RunId, row.Name, row.Action, row.Status, row.Attempt, row.Pid, row.ExitCode, row.Signal, row.Error,
        ApiJson.Deserialize<List<string>>(row.DependsOnJson), row.CreatedAt, row.StartedAt, row.FinishedAt);
}

public sealed record RunResponse(
    long Id, string? Name, string? Service, string? Schedule, long? RetryOf, RunStatus Status, IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Env, int? MaxParallel, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, IReadOnlyList<JobResponse> Jobs)
{
    public static RunResponse From(RunRow row, IEnumerable<JobRow> jobs) => new(
        row.Id, row.Name, row.Service, row.Schedule, row.RetryOf, row.Status, ApiJson.Deserialize<List<string>>(row.TagsJson),
        ApiJson.Deserialize<Dictionary<string, string>>(row.EnvJson), row.MaxParallel, row.CreatedAt, row.StartedAt,
        row.FinishedAt, jobs.Select(JobResponse.From).ToList());
}

/// <summary>A run in a list: job counts by status instead of the jobs.</summary>
public sealed record RunSummary(
    long Id, string? Name, string? Service, string? Schedule, long? RetryOf, RunStatus Status, IReadOnlyList<string> Tags,
    int? MaxParallel, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    IReadOnlyDictionary<string, int> JobCounts)
{
    public static RunSummary From(RunRow row, IEnumerable<JobCountRow> counts) => new(
        row.Id, row.Name, row.Service, row.Schedule, row.RetryOf, row.Status, ApiJson.Deserialize<List<string>>(row.TagsJson),
        row.MaxParallel, row.CreatedAt, row.StartedAt, row.FinishedAt,
        counts.ToDictionary(c => c.Status.ToText(), c => c.Count));
}

/// <param name="Limit">Page size, 1–500 (default 50).</param>
/// <param name="Cursor">The nextCursor of the previous page.</param>
/// <param name="Status">pending, running, succeeded, failed or cancelled.</param>
/// <param name="Service">Only runs of this service.</param>
/// <param name="Schedule">Only runs created by this schedule.</param>
/// <param name="Tag">Only runs carrying this tag.</param>
/// <param name="Since">Only runs created at or after this time (ISO-8601).</param>
public sealed record RunListQuery(int? Limit, string? Cursor, string? Status, string? Service, string? Schedule, string? Tag,
    DateTimeOffset? Since) : IPageQuery;

sealed class RunListQueryValidator : AbstractValidator<RunListQuery>
{
    public RunListQueryValidator()
    {
        this.AddPagingRules(idCursor: true);
        RuleFor(q => q.Status).Must(s => EnumText<RunStatus>.TryParse(s, out _)).When(q => q.Status is not null)
            .WithMessage($"must be one of {string.Join(", ", EnumText<RunStatus>.Names)}");
    }
}

/// <param name="Status">A finished status: succeeded, failed or cancelled.</param>
/// <param name="Before">Only runs that finished before this time (ISO-8601).</param>
public sealed record BulkDeleteQuery(string? Status, DateTimeOffset? Before);

sealed class BulkDeleteQueryValidator : AbstractValidator<BulkDeleteQuery>
{
    public BulkDeleteQueryValidator()
    {
        RuleFor(q => q.Status).Must(s => EnumText<RunStatus>.TryParse(s, out var status) && status.IsFinished())
            .When(q => q.Status is not null)
            .WithMessage("must be a finished status: succeeded, failed or cancelled");
        RuleFor(q => q).Must(q => q.Status is not null || q.Before is not null).OverridePropertyName("status")
            .WithMessage("give 'status', 'before' or both: a bulk delete without a filter is refused");
    }
}
