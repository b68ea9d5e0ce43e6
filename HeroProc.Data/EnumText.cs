using System.Reflection;
using System.Text.Json.Serialization;

namespace HeroProc.Data;

/// <summary>Converts enums to and from their wire names (<see cref="JsonStringEnumMemberNameAttribute"/>).</summary>
public static class EnumText
{
    public static string ToText<T>(this T value) where T : struct, Enum => EnumText<T>.Format(value);
}

public static class EnumText<T> where T : struct, Enum
{
    static readonly Dictionary<T, string> ToText = typeof(T)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .ToDictionary(
            f => (T)f.GetValue(null)!,
            f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name.ToLowerInvariant());

    static readonly Dictionary<string, T> FromText = ToText.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => FromText.Keys;

    public static string Format(T value) => ToText[value];

    public static T Parse(string text) =>
        FromText.TryGetValue(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(T).Name}.");

    public static bool TryParse(string? text, out T value)
    {
        value = default;
        return text is not null && FromText.TryGetValue(text, out value);
    }
}
