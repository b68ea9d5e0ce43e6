using System.Text.Json.Serialization;
using FluentValidation;
using HeroProc.Api.Http;
using HeroProc.Data;

namespace HeroProc.Api.Actions;

/// <summary>A stored action: its spec with defaults written out, plus where it comes from.</summary>
public sealed record ActionResponse : ActionSpec
{
    [JsonPropertyOrder(-2)]
    public string Name { get; init; } = "";

    /// <summary>The owning service, or null for a standalone action.</summary>
    [JsonPropertyOrder(-1)]
    public string? Service { get; init; }

    [JsonPropertyOrder(1)]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyOrder(1)]
    public DateTimeOffset UpdatedAt { get; init; }

    public static ActionResponse From(ActionRow row) => ApiJson.Deserialize<ActionResponse>(row.SpecJson) with
    {
        Name = row.Name, Service = row.Service, CreatedAt = row.CreatedAt, UpdatedAt = row.UpdatedAt,
    };
}

/// <param name="Limit">Page size, 1–500 (default 50).</param>
/// <param name="Cursor">The nextCursor of the previous page.</param>
/// <param name="Tag">Only actions carrying this tag.</param>
public sealed record ActionListQuery(int? Limit, string? Cursor, string? Tag) : IPageQuery;

sealed class ActionListQueryValidator : AbstractValidator<ActionListQuery>
{
    public ActionListQueryValidator() => this.AddPagingRules(idCursor: false);
}
