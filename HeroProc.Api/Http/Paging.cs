using System.Buffers.Text;
using System.Text;
using FluentValidation;
using HeroProc.Api.Validation;

namespace HeroProc.Api.Http;

/// <summary>A page of a list: <c>{ "items": [...], "nextCursor": "..." | null }</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Opaque keyset cursors: the sort key of the last item returned, tagged with the kind of list
/// (name, id, log positions) so a cursor from one kind of list is refused by another; base64url-encoded.
/// </summary>
public static class Cursor
{
    public const string NameKind = "n", IdKind = "i", LogKind = "l";
    const int MaxLength = 64 * 1024;

    public static string Encode(string key, string kind = NameKind) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1:{kind}:{key}"));

    public static string Encode(long id) => Encode(id.ToString(System.Globalization.CultureInfo.InvariantCulture), IdKind);

    public static string? DecodeKey(string? cursor, string kind = NameKind)
    {
        if (string.IsNullOrEmpty(cursor) || cursor.Length > MaxLength)
            return null;
        var prefix = $"v1:{kind}:";
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static long? DecodeId(string? cursor) => long.TryParse(DecodeKey(cursor, IdKind), out var id) && id > 0 ? id : null;

    /// <summary>Fetches one row more than the page holds to know whether another page follows.</summary>
    public static Page<TOut> ToPage<TRow, TOut>(IReadOnlyList<TRow> rows, int limit, Func<TRow, string> cursorOf, Func<TRow, TOut> map) =>
        new(rows.Take(limit).Select(map).ToList(), rows.Count > limit ? cursorOf(rows[limit - 1]) : null);
}

/// <summary>Paging parameters every list shares.</summary>
public interface IPageQuery
{
    int? Limit { get; }
    string? Cursor { get; }
}

public static class PagingRules
{
    public const int DefaultLimit = 50;

    public static int LimitOr(this IPageQuery query, int fallback) => query.Limit ?? fallback;

    /// <summary><c>limit</c> 1–500; a cursor must be one this server issued for this kind of list.</summary>
    public static void AddPagingRules<T>(this AbstractValidator<T> validator, bool idCursor) where T : IPageQuery
    {
        validator.RuleFor(q => q.Limit).InclusiveBetween(1, Limits.MaxPageSize);
        validator.RuleFor(q => q.Cursor)
            .Must(c => c is null || (idCursor ? Cursor.DecodeId(c) is not null : Cursor.DecodeKey(c) is not null))
            .WithMessage("is not a cursor returned by this list");
    }
}
