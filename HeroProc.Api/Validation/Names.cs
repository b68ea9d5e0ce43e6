using System.Text;
using System.Text.RegularExpressions;

namespace HeroProc.Api.Validation;

/// <summary>The name and text rules of API.md ("General rules"), shared by every validator.</summary>
public static partial class Names
{
    /// <summary>Actions, services, schedules and jobs: lower case, no dots.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    public static partial Regex Resource();

    /// <summary>Secret names are environment-variable names.</summary>
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    public static partial Regex Secret();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    public static partial Regex EnvKey();

    public const string ResourceRule = "must match ^[a-z0-9][a-z0-9_-]{0,63}$ (lower case letters, digits, '_' and '-'; no dots)";

    public static bool IsResource(string? name) => name is not null && Resource().IsMatch(name);

    /// <summary>'&lt;service&gt;.&lt;action&gt;': how a service's own actions are stored.</summary>
    public static bool IsServiceOwned(string? name) =>
        name?.Split('.') is [var service, var action] && IsResource(service) && IsResource(action);

    public static string ServiceAction(string service, string action) => $"{service}.{action}";

    /// <summary>Run names and tags: 1–128 characters, none of them a control character.</summary>
    public static bool IsLabel(string? text) =>
        text is { Length: > 0 and <= 128 } && !text.Any(char.IsControl) && !string.IsNullOrWhiteSpace(text);

    public static int Utf8Bytes(string text) => Encoding.UTF8.GetByteCount(text);
}

/// <summary>The numeric limits of API.md; a value outside is a 400.</summary>
public static class Limits
{
    public const int ScriptBytes = 64 * 1024;
    public const int EnvEntries = 256;
    public const int EnvValueBytes = 32 * 1024;
    public const int MaxTimeoutSecs = 604_800;
    public const int MaxStopTimeoutSecs = 3600;
    public const int JobsPerRun = 10_000;
    public const int MaxParallel = 1000;
    public const int Tags = 32;
    public const int ServiceActions = 100;
    public const int DescriptionBytes = 4096;
    public const int PathBytes = 4096;
    public const int RequestBodyBytes = 1024 * 1024;
    public const int MaxPageSize = 500;
}
