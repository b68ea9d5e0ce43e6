using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace HeroProc.Api.Http;

/// <summary>
/// Rewrites System.Text.Json's messages, which name .NET types ("could not be converted to
/// System.Nullable`1[HeroProc.Api.Actions.ActionKind]"), into what a client can act on.
/// </summary>
static partial class JsonErrorText
{
    [GeneratedRegex(@"could not be converted to (?:System\.Nullable`1\[)?([\w.`]+)")]
    private static partial Regex ConversionTarget();

    public static string Explain(string message)
    {
        var text = message.Split(" Path:")[0].Split(" LineNumber:")[0].Trim();
        if (text.Contains("could not be mapped to any .NET member"))
            return "this field is not part of the request (check its spelling)";
        if (text.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
            return "this field appears more than once";
        var match = ConversionTarget().Match(text);
        if (!match.Success)
            return text;
        var typeName = match.Groups[1].Value.TrimEnd('.');
        var type = typeof(JsonErrorText).Assembly.GetType(typeName) ?? Type.GetType(typeName);
        return type switch
        {
            { IsEnum: true } => "the value must be one of: " + string.Join(", ", EnumNames(type)),
            _ when type == typeof(int) || type == typeof(long) => "the value must be an integer in range",
            _ when type == typeof(double) => "the value must be a number",
            _ when type == typeof(string) => "the value must be a string",
            _ when type == typeof(bool) => "the value must be true or false",
            _ when type == typeof(DateTimeOffset) => "the value must be an ISO-8601 timestamp",
            _ when typeName.Contains("List`1") => "the value must be an array",
            _ when typeName.Contains("Dictionary`2") => "the value must be an object of strings",
            _ => "the value has the wrong type (expected an object)",
        };
    }

    static IEnumerable<string> EnumNames(Type type) => type.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Select(f => f.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
            .Cast<JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name ?? f.Name.ToLowerInvariant());
}
