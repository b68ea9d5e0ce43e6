using HeroProc.Api.Actions;
using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>
/// What the end of a service process's attempt makes of it (API.md, <c>restart</c> and <c>restartPolicy</c>):
/// a restart after a backoff (the job waits as <c>retrying</c>, shown as <c>backoff</c>), or an end.
/// </summary>
public static class RestartDecision
{
    /// <summary>The backoff varies by up to this fraction either way, so crashed replicas do not restart in step.</summary>
    const double Jitter = 0.1;

    /// <param name="uptime">How long the attempt ran.</param>
    /// <param name="restartsInWindow">Restarts of this process within the policy's window before this end.</param>
    /// <param name="streak">Failed runs in a row before this end (the backoff exponent).</param>
    public static AttemptEnd Decide(ShimStatus? status, string? stopRequested, bool runStopped, ActionSpec spec,
        TimeSpan uptime, int restartsInWindow, int streak, DateTimeOffset now, Random random)
    {
        var policy = spec.RestartPolicy!;
        var signal = AttemptOutcome.SignalName(status);
        var exit = AttemptOutcome.ExitDetail(status);
        if (runStopped || stopRequested == "cancel")
            return new AttemptEnd(JobStatus.Cancelled, status?.ExitCode, signal, null, null, $"stopped; {exit}", 0);

        var earlyExit = uptime < TimeSpan.FromMilliseconds(policy.MinUptimeMs!.Value);
        var (failure, error) = stopRequested switch
        {
            "probe" => (true, "restarted: its probe failed"),
            "timeout" => (true, $"timed out after {spec.TimeoutSecs} s"),
            _ when earlyExit => (true, $"{exit} after {uptime.TotalMilliseconds:0} ms, before minUptimeMs ({policy.MinUptimeMs} ms): a failed start"),
            _ when status is { ExitCode: 0 } => (false, null),
            _ => (true, $"{exit}"),
        };
        var restart = stopRequested == "probe" || spec.Restart switch
        {
            RestartMode.Always => true,
            RestartMode.OnFailure => failure,
            _ => false,
        };
        if (!restart)
            return failure
                ? new AttemptEnd(JobStatus.Failed, status?.ExitCode, signal, error, null, $"{exit}; not restarted (restart: {spec.Restart!.Value.ToText()})")
                : new AttemptEnd(JobStatus.Succeeded, 0, null, null, null, $"{exit}; completed");

        if (restartsInWindow >= policy.MaxRestarts)
            return new AttemptEnd(JobStatus.Failed, status?.ExitCode, signal,
                $"crash loop: {restartsInWindow} restarts within {policy.WindowSecs} s; gave up ({error ?? exit})", null,
                $"{exit}; gave up after {restartsInWindow} restarts within {policy.WindowSecs} s");

        // A run that stayed up for resetAfterSecs was stable: the backoff starts again from delayMs.
        var level = uptime >= TimeSpan.FromSeconds(policy.ResetAfterSecs!.Value) ? 0 : streak;
        var delay = Delay(policy, level, random);
        return new AttemptEnd(JobStatus.Retrying, status?.ExitCode, signal, error, now + delay,
            $"{exit}; restart {restartsInWindow + 1} in {delay.TotalMilliseconds:0} ms", level + 1);
    }

    /// <summary><c>delayMs × factor^level</c>, capped at <c>maxDelayMs</c>, with ±10 % jitter (never above the cap).</summary>
    public static TimeSpan Delay(RestartPolicy policy, int level, Random random)
    {
        var baseMs = Math.Min(policy.DelayMs!.Value * Math.Pow(policy.Factor!.Value, level), policy.MaxDelayMs!.Value);
        var jittered = baseMs * (1 + Jitter * (2 * random.NextDouble() - 1));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, policy.MaxDelayMs!.Value));
    }
}
