using System.Text.Json.Serialization;
using Cronos;
using FluentValidation;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Data;

namespace HeroProc.Api.Schedules;

/// <summary>The body of <c>PUT /api/schedules/{name}</c>.</summary>
public record ScheduleSpec
{
    /// <summary>5 fields (minute first), or 6 with seconds first.</summary>
    public string? Cron { get; init; }
    /// <summary>IANA time zone id; default UTC.</summary>
    public string? TimeZone { get; init; }
    /// <summary>Default true.</summary>
    public bool? Enabled { get; init; }
    /// <summary>skip (default) | allow | cancel-previous: what a tick does while the previous run is unfinished.</summary>
    public Overlap? Overlap { get; init; }
    /// <summary>skip (default) | run-once: what ticks missed while the server was down come to.</summary>
    public Misfire? Misfire { get; init; }
    /// <summary>The body of <c>POST /api/runs</c>.</summary>
    public SubmitRunRequest? Run { get; init; }

    public ScheduleSpec Normalized() => this with
    {
        TimeZone = TimeZone ?? "UTC", Enabled = Enabled ?? true, Overlap = Overlap ?? Schedules.Overlap.Skip, Misfire = Misfire ?? Schedules.Misfire.Skip,
    };

    public CronExpression Expression() => CronExpression.Parse(Cron!, Cron!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6
        ? CronFormat.IncludeSeconds : CronFormat.Standard);

    public TimeZoneInfo Zone() => TimeZoneInfo.FindSystemTimeZoneById(TimeZone ?? "UTC");

    /// <summary>The first tick strictly after <paramref name="after"/>, or null when the expression never fires again.</summary>
    public DateTimeOffset? NextTick(DateTimeOffset after) => Expression().GetNextOccurrence(after, Zone());
}

public enum Overlap
{
    [JsonStringEnumMemberName("skip")] Skip,
    [JsonStringEnumMemberName("allow")] Allow,
    [JsonStringEnumMemberName("cancel-previous")] CancelPrevious,
}

public enum Misfire
{
    [JsonStringEnumMemberName("skip")] Skip,
    [JsonStringEnumMemberName("run-once")] RunOnce,
}

sealed class ScheduleSpecValidator : AbstractValidator<ScheduleSpec>
{
    public ScheduleSpecValidator(TimeProvider clock)
    {
        RuleFor(s => s.Cron).NotEmpty().WithMessage("is required")
            .Must(BeCron).WithMessage("is not a cron expression of 5 fields, or 6 with seconds first");
        RuleFor(s => s.TimeZone).Must(BeZone).When(s => s.TimeZone is not null).WithMessage("is not a known IANA time zone id");
        RuleFor(s => s.Cron).Must((spec, _) => spec.NextTick(clock.GetUtcNow()) is not null)
            .When(s => BeCron(s.Cron) && (s.TimeZone is null || BeZone(s.TimeZone)))
            .WithMessage("never fires");
        RuleFor(s => s.Run).NotNull().WithMessage("is required: the body of POST /api/runs")
            .SetValidator(new SubmitRunRequestValidator()!);
    }

    static bool BeCron(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
            return false;
        try
        {
            _ = new ScheduleSpec { Cron = cron }.Expression();
            return true;
        }
        catch (CronFormatException)
        {
            return false;
        }
    }

    static bool BeZone(string? zone)
    {
        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(zone!);
            return true;
        }
        catch (Exception)
        {
            // Not found, invalid, or a path the zone database cannot read ("America/"): not a zone either way.
            return false;
        }
    }
}

/// <summary>A schedule: its spec with defaults, and where it stands.</summary>
public sealed record ScheduleResponse : ScheduleSpec
{
    [JsonPropertyOrder(-1)]
    public string Name { get; init; } = "";
    public DateTimeOffset? NextRunAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public long? LastRunId { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static ScheduleResponse From(ScheduleRow row)
    {
        var spec = ApiJson.Deserialize<ScheduleSpec>(row.SpecJson);
        return ApiJson.Deserialize<ScheduleResponse>(row.SpecJson) with
        {
            Name = row.Name,
            Enabled = row.Enabled,
            NextRunAt = row.Enabled ? spec.NextTick(row.LastTickAt ?? row.CreatedAt) : null,
            LastRunAt = row.LastRunAt, LastRunId = row.LastRunId, LastError = row.LastError,
            CreatedAt = row.CreatedAt, UpdatedAt = row.UpdatedAt,
        };
    }
}

public sealed record ScheduleListQuery(int? Limit, string? Cursor) : IPageQuery;

sealed class ScheduleListQueryValidator : AbstractValidator<ScheduleListQuery>
{
    public ScheduleListQueryValidator() => this.AddPagingRules(idCursor: false);
}
