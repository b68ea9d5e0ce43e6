using FluentValidation;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Data;

namespace HeroProc.Api.Jobs;

/// <param name="After">Only lines with a seq above this (default 0).</param>
/// <param name="Limit">At most this many lines, 1–10000 (default 1000).</param>
/// <param name="Stream">stdout or stderr; both when absent.</param>
public sealed record JobLogsQuery(long? After, int? Limit, string? Stream);

/// <param name="After">The 'next' of the previous page (opaque).</param>
/// <param name="Limit">At most this many lines, 1–10000 (default 1000).</param>
/// <param name="Stream">stdout or stderr; both when absent.</param>
public sealed record RunLogsQuery(string? After, int? Limit, string? Stream);

public static class LogsQueryRules
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10_000;

    public static LogStream? Stream(string? stream) => stream switch
    {
        "stdout" => LogStream.Stdout,
        "stderr" => LogStream.Stderr,
        _ => null,
    };

    public static bool IsStream(string? stream) => stream is null or "stdout" or "stderr";
}

sealed class JobLogsQueryValidator : AbstractValidator<JobLogsQuery>
{
    public JobLogsQueryValidator()
    {
        RuleFor(q => q.After).GreaterThanOrEqualTo(0);
        RuleFor(q => q.Limit).InclusiveBetween(1, LogsQueryRules.MaxLimit);
        RuleFor(q => q.Stream).Must(LogsQueryRules.IsStream).WithMessage("must be stdout or stderr");
    }
}

sealed class RunLogsQueryValidator : AbstractValidator<RunLogsQuery>
{
    public RunLogsQueryValidator()
    {
        RuleFor(q => q.After).Must(RunLogs.IsCursor).WithMessage("is not a 'next' value returned by this log");
        RuleFor(q => q.Limit).InclusiveBetween(1, LogsQueryRules.MaxLimit);
        RuleFor(q => q.Stream).Must(LogsQueryRules.IsStream).WithMessage("must be stdout or stderr");
    }
}
