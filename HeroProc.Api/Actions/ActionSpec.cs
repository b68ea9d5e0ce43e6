using System.Text.Json.Serialization;

namespace HeroProc.Api.Actions;

/// <summary>
/// A reusable process spec (API.md, "Actions"). Every field is optional on input so that the
/// validator, not the JSON binder, names what is missing; <see cref="Normalized"/> fills defaults.
/// </summary>
public record ActionSpec
{
    /// <summary>Free text shown in listings.</summary>
    public string? Description { get; init; }

    /// <summary>How <see cref="Script"/> runs: sh (default), bash, python3, or exec (argv split, no shell).</summary>
    public Interpreter? Interpreter { get; init; }

    /// <summary>The script, or for <c>exec</c> the command line; 1 byte to 64 KiB.</summary>
    public string? Script { get; init; }

    /// <summary>Absolute working directory; default: a fresh per-job directory under the data directory.</summary>
    public string? Cwd { get; init; }

    /// <summary>Environment variables (at most 256; values up to 32 KiB).</summary>
    public Dictionary<string, string>? Env { get; init; }

    /// <summary>Names of stored secrets, injected as environment variables of the same name.</summary>
    public List<string>? Secrets { get; init; }

    /// <summary>Seconds before the job is stopped and marked <c>timed_out</c>; 0 or absent: no timeout.</summary>
    public int? TimeoutSecs { get; init; }

    public RetryPolicy? Retry { get; init; }

    /// <summary>Jobs of the same run (or actions of the same service) that must succeed first.</summary>
    public List<string>? DependsOn { get; init; }

    /// <summary>oneshot (default; runs to completion) or process (long-running; services only).</summary>
    public ActionKind? Kind { get; init; }

    /// <summary>never, on-failure, or always (the default for a process); a oneshot accepts only never.</summary>
    public RestartMode? Restart { get; init; }

    /// <summary>Backoff and crash-loop limits of a process; defaults as in API.md.</summary>
    public RestartPolicy? RestartPolicy { get; init; }

    /// <summary>Health probe of a process.</summary>
    public Probe? Probe { get; init; }

    /// <summary>Signal sent to the process group on stop, cancel and timeout; default TERM.</summary>
    public StopSignal? StopSignal { get; init; }

    /// <summary>Seconds between the stop signal and SIGKILL; default 10.</summary>
    public int? StopTimeoutSecs { get; init; }

    /// <summary>At most 32 tags of 1–128 printable characters.</summary>
    public List<string>? Tags { get; init; }

    /// <summary>The spec with every default written out: what is stored and echoed.</summary>
    public ActionSpec Normalized()
    {
        var kind = Kind ?? ActionKind.Oneshot;
        var isProcess = kind == ActionKind.Process;
        return new ActionSpec
        {
            Description = Description,
            Interpreter = Interpreter ?? Actions.Interpreter.Sh,
            Script = Script,
            Cwd = Cwd,
            Env = Env ?? [],
            Secrets = Secrets ?? [],
            TimeoutSecs = TimeoutSecs,
            Retry = Retry?.Normalized(),
            DependsOn = DependsOn ?? [],
            Kind = kind,
            Restart = Restart ?? (isProcess ? RestartMode.Always : RestartMode.Never),
            RestartPolicy = isProcess ? (RestartPolicy ?? new RestartPolicy()).Normalized() : RestartPolicy,
            Probe = Probe?.Normalized(),
            StopSignal = StopSignal ?? Actions.StopSignal.Term,
            StopTimeoutSecs = StopTimeoutSecs ?? 10,
            Tags = Tags ?? [],
        };
    }
}

/// <summary>An action spec with the name it has in a run (an inline job) or in a service.</summary>
public sealed record NamedActionSpec : ActionSpec
{
    [JsonPropertyOrder(-1)]
    public string? Name { get; init; }
}

public sealed record RetryPolicy
{
    /// <summary>Attempts in all, 1–100; default 1 (no retry).</summary>
    public int? MaxAttempts { get; init; }
    /// <summary>Seconds before the second attempt, 0–86400; default 1.</summary>
    public int? DelaySecs { get; init; }
    /// <summary>Factor applied to the delay after each attempt, 1.0–10.0; default 2.0.</summary>
    public double? Backoff { get; init; }
    /// <summary>Cap on the delay, 0–86400 seconds; default 60.</summary>
    public int? MaxDelaySecs { get; init; }

    public RetryPolicy Normalized() => new()
    {
        MaxAttempts = MaxAttempts ?? 1, DelaySecs = DelaySecs ?? 1, Backoff = Backoff ?? 2.0, MaxDelaySecs = MaxDelaySecs ?? 60,
    };
}

public sealed record RestartPolicy
{
    public int? DelayMs { get; init; }
    public double? Factor { get; init; }
    public int? MaxDelayMs { get; init; }
    public int? ResetAfterSecs { get; init; }
    public int? MinUptimeMs { get; init; }
    public int? MaxRestarts { get; init; }
    public int? WindowSecs { get; init; }

    public RestartPolicy Normalized() => new()
    {
        DelayMs = DelayMs ?? 100, Factor = Factor ?? 1.5, MaxDelayMs = MaxDelayMs ?? 30_000, ResetAfterSecs = ResetAfterSecs ?? 30,
        MinUptimeMs = MinUptimeMs ?? 1000, MaxRestarts = MaxRestarts ?? 10, WindowSecs = WindowSecs ?? 300,
    };
}

public sealed record Probe
{
    /// <summary>command, http or tcp.</summary>
    public ProbeType? Type { get; init; }
    /// <summary>A shell command, an http(s) URL, or host:port.</summary>
    public string? Target { get; init; }
    public int? IntervalSecs { get; init; }
    public int? TimeoutSecs { get; init; }
    public int? FailureThreshold { get; init; }
    /// <summary>When above 0, the process is restarted after that many failures in a row.</summary>
    public int? RestartAfter { get; init; }

    public Probe Normalized() => this with
    {
        IntervalSecs = IntervalSecs ?? 5, TimeoutSecs = TimeoutSecs ?? 2, FailureThreshold = FailureThreshold ?? 3, RestartAfter = RestartAfter ?? 0,
    };
}

public enum Interpreter
{
    [JsonStringEnumMemberName("sh")] Sh,
    [JsonStringEnumMemberName("bash")] Bash,
    [JsonStringEnumMemberName("python3")] Python3,
    [JsonStringEnumMemberName("exec")] Exec,
}

public enum ActionKind
{
    [JsonStringEnumMemberName("oneshot")] Oneshot,
    [JsonStringEnumMemberName("process")] Process,
}

public enum RestartMode
{
    [JsonStringEnumMemberName("never")] Never,
    [JsonStringEnumMemberName("on-failure")] OnFailure,
    [JsonStringEnumMemberName("always")] Always,
}

public enum ProbeType
{
    [JsonStringEnumMemberName("command")] Command,
    [JsonStringEnumMemberName("http")] Http,
    [JsonStringEnumMemberName("tcp")] Tcp,
}

/// <summary>Signal names as in API.md: upper case, without the SIG prefix.</summary>
public enum StopSignal
{
    [JsonStringEnumMemberName("TERM")] Term,
    [JsonStringEnumMemberName("INT")] Int,
    [JsonStringEnumMemberName("HUP")] Hup,
    [JsonStringEnumMemberName("QUIT")] Quit,
    [JsonStringEnumMemberName("KILL")] Kill,
    [JsonStringEnumMemberName("USR1")] Usr1,
    [JsonStringEnumMemberName("USR2")] Usr2,
}
