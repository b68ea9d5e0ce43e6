using System.Globalization;
using HeroProc.Api.Actions;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// How an attempt ended, from the shim's state file: an exit code, a terminating signal, or why the job could
/// not start; or, when the server itself failed while running the attempt, that error.
/// </summary>
public sealed record ShimStatus(int? ExitCode, int? Signal, string? StartError, string? ServerError = null, string? Lost = null);

/// <summary>
/// What the shim's state file (<c>attempts/ID-N.state</c>) holds so far: the shim's identity, the job's,
/// and the status once the job has ended. Each is a line the shim appends in one write; a line without its
/// newline is still being written and does not count, nor does a line that does not parse (the file is not
/// synced to disk, so a power cut can leave anything in it).
/// </summary>
public sealed record AttemptState(ProcessIdentity? Shim, ProcessIdentity? Job, ShimStatus? Status)
{
    public static AttemptState Read(string path)
    {
        try { return Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new AttemptState(null, null, null); }
    }

    static AttemptState Parse(string text)
    {
        ProcessIdentity? shim = null, job = null;
        ShimStatus? status = null;
        foreach (var line in text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (line.Split(' ', 3))
            {
                case ["shim", var pid, var start] when Identity(pid, start) is { } identity:
                    shim = identity;
                    break;
                case ["job", var pid, var start] when Identity(pid, start) is { } identity:
                    job = identity;
                    break;
                case ["exit", var code] when int.TryParse(code, CultureInfo.InvariantCulture, out var exitCode):
                    status = new ShimStatus(exitCode, null, null);
                    break;
                case ["signal", var number] when int.TryParse(number, CultureInfo.InvariantCulture, out var signal):
                    status = new ShimStatus(null, signal, null);
                    break;
                case ["error", ..]:
                    status = new ShimStatus(null, null, line["error ".Length..]);
                    break;
            }
        }
        return new AttemptState(shim, job, status);
    }

    /// <summary>The same, from an attempt directory of the older layout: shim.pid and job.pid ("PID STARTTIME"), status.</summary>
    public static AttemptState ReadLegacy(string attemptDir)
    {
        string Line(string name, string label)
        {
            try { return $"{label}{File.ReadAllText(Path.Combine(attemptDir, name)).Trim()}\n"; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
        }
        return Parse(Line("shim.pid", "shim ") + Line("job.pid", "job ") + Line("status", ""));
    }

    static ProcessIdentity? Identity(string pid, string start) =>
        int.TryParse(pid, CultureInfo.InvariantCulture, out var number) && long.TryParse(start, CultureInfo.InvariantCulture, out var time)
            ? new ProcessIdentity(number, time)
            : null;
}

/// <summary>Decides what an attempt's end makes of the job: its final status, or a retry.</summary>
public static class AttemptOutcome
{
    public static AttemptEnd Decide(ShimStatus? status, string? stopRequested, bool runCancelled, int attempt, ActionSpec spec, DateTimeOffset now)
    {
        var signal = SignalName(status);
        var exitDetail = ExitDetail(status);

        if (stopRequested == "cancel" || runCancelled)
            return new AttemptEnd(JobStatus.Cancelled, status?.ExitCode, signal, null, null, $"cancelled; {exitDetail}");

        var (outcome, error) = stopRequested == "timeout"
            ? (JobStatus.TimedOut, $"timed out after {spec.TimeoutSecs} s")
            : status switch
            {
                { ExitCode: 0 } => (JobStatus.Succeeded, null),
                { ExitCode: { } code } => (JobStatus.Failed, $"exited with code {code}"),
                { Signal: not null } => (JobStatus.Failed, $"killed by signal {signal}"),
                { StartError: { } startError } => (JobStatus.Failed, $"cannot start: {startError}"),
                { ServerError: { } serverError } => (JobStatus.Failed, $"the server failed while running the job: {serverError}"),
                { Lost: { } lost } => (JobStatus.Failed, $"lost: {lost}"),
                _ => (JobStatus.Failed, "the job's shim ended without an exit status"),
            };

        var retry = spec.Retry;
        if (outcome != JobStatus.Succeeded && retry is not null && attempt < retry.MaxAttempts)
        {
            var delay = RetryDelay(retry, attempt);
            return new AttemptEnd(JobStatus.Retrying, status?.ExitCode, signal, error, now + delay,
                $"{exitDetail}; {(outcome == JobStatus.TimedOut ? "timed out; " : "")}retry {attempt + 1} of {retry.MaxAttempts} in {delay.TotalSeconds:0.###} s");
        }
        return new AttemptEnd(outcome, status?.ExitCode, signal, error, null, outcome == JobStatus.TimedOut ? $"{error}; {exitDetail}" : exitDetail);
    }

    public static string? SignalName(ShimStatus? status) => status?.Signal is { } number ? Native.SignalName(number) : null;

    /// <summary>How the attempt ended, in a few words for the job's history.</summary>
    public static string ExitDetail(ShimStatus? status) => status switch
    {
        { ExitCode: { } code } => $"exit {code}",
        { Signal: not null } => $"signal {SignalName(status)}",
        { StartError: { } message } => $"cannot start: {message}",
        { ServerError: { } message } => $"server error: {message}",
        { Lost: not null } => "lost",
        _ => "no exit status",
    };

    /// <summary><c>delaySecs × backoff^(attempt-1)</c>, capped at <c>maxDelaySecs</c>.</summary>
    public static TimeSpan RetryDelay(RetryPolicy retry, int attempt) =>
        TimeSpan.FromSeconds(Math.Min(retry.DelaySecs!.Value * Math.Pow(retry.Backoff!.Value, attempt - 1), retry.MaxDelaySecs!.Value));
}
