using HeroProc.Api.Actions;
using HeroProc.Api.Services;
using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Tests.Supervision;

/// <summary>The restart policy's decisions, one rule at a time (the process tests cover them end to end).</summary>
public sealed class RestartDecisionTests
{
    static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    static readonly ShimStatus Exit1 = new(1, null, null);
    static readonly ShimStatus Exit0 = new(0, null, null);

    static ActionSpec Spec(RestartMode restart = RestartMode.Always, int delayMs = 100, double factor = 2, int maxDelayMs = 30_000,
        int resetAfterSecs = 30, int minUptimeMs = 1000, int maxRestarts = 10) =>
        new ActionSpec
        {
            Script = "x", Kind = ActionKind.Process, Restart = restart,
            RestartPolicy = new RestartPolicy { DelayMs = delayMs, Factor = factor, MaxDelayMs = maxDelayMs, ResetAfterSecs = resetAfterSecs,
                MinUptimeMs = minUptimeMs, MaxRestarts = maxRestarts, WindowSecs = 300 },
        }.Normalized();

    static AttemptEnd Decide(ActionSpec spec, ShimStatus? status, TimeSpan uptime, int restartsInWindow = 0, int streak = 0,
        string? stopRequested = null, bool runStopped = false, int seed = 1) =>
        RestartDecision.Decide(status, stopRequested, runStopped, spec, uptime, restartsInWindow, streak, Now, new Random(seed));

    [Fact]
    public void The_backoff_grows_by_the_factor_with_the_streak_and_is_capped()
    {
        var spec = Spec(delayMs: 100, factor: 2, maxDelayMs: 1000);
        double[] expected = [100, 200, 400, 800, 1000, 1000];
        for (var streak = 0; streak < expected.Length; streak++)
        {
            var end = Decide(spec, Exit1, TimeSpan.FromSeconds(2), streak: streak);
            Assert.Equal(JobStatus.Retrying, end.Status);
            Assert.Equal(streak + 1, end.RestartStreak);
            Assert.InRange((end.NextAttemptAt!.Value - Now).TotalMilliseconds, expected[streak] * 0.9, Math.Min(expected[streak] * 1.1, 1000));
        }
    }

    [Fact]
    public void Jitter_spreads_restarts_and_never_exceeds_the_cap()
    {
        var spec = Spec(delayMs: 1000, factor: 1, maxDelayMs: 1000);
        var delays = Enumerable.Range(0, 200).Select(seed => (Decide(spec, Exit1, TimeSpan.Zero, seed: seed).NextAttemptAt!.Value - Now).TotalMilliseconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 900, 1000));
        Assert.True(delays.Distinct().Count() > 50, "delays vary");
    }

    [Fact]
    public void A_run_longer_than_resetAfterSecs_resets_the_backoff()
    {
        var spec = Spec(delayMs: 100, factor: 2, resetAfterSecs: 30);
        var end = Decide(spec, Exit1, TimeSpan.FromSeconds(31), streak: 5);
        Assert.Equal(1, end.RestartStreak);
        Assert.InRange((end.NextAttemptAt!.Value - Now).TotalMilliseconds, 90, 110);
    }

    [Fact]
    public void An_exit_before_minUptimeMs_is_a_failed_start_even_with_code_0()
    {
        var early = Decide(Spec(RestartMode.OnFailure), Exit0, TimeSpan.FromMilliseconds(500));
        Assert.Equal(JobStatus.Retrying, early.Status);
        Assert.Contains("before minUptimeMs", early.Error);
        var late = Decide(Spec(RestartMode.OnFailure), Exit0, TimeSpan.FromSeconds(2));
        Assert.Equal(JobStatus.Succeeded, late.Status);
    }

    [Fact]
    public void The_crash_loop_limit_ends_in_failed()
    {
        var spec = Spec(maxRestarts: 3);
        Assert.Equal(JobStatus.Retrying, Decide(spec, Exit1, TimeSpan.Zero, restartsInWindow: 2).Status);
        var end = Decide(spec, Exit1, TimeSpan.Zero, restartsInWindow: 3);
        Assert.Equal(JobStatus.Failed, end.Status);
        Assert.StartsWith("crash loop: 3 restarts within 300 s", end.Error);
    }

    [Fact]
    public void Never_does_not_restart_but_a_probe_restart_does()
    {
        var spec = Spec(RestartMode.Never);
        Assert.Equal(JobStatus.Failed, Decide(spec, Exit1, TimeSpan.FromSeconds(5)).Status);
        Assert.Equal(JobStatus.Succeeded, Decide(spec, Exit0, TimeSpan.FromSeconds(5)).Status);
        Assert.Equal(JobStatus.Retrying, Decide(spec, new ShimStatus(null, 15, null), TimeSpan.FromSeconds(5), stopRequested: "probe").Status);
    }

    [Fact]
    public void A_stop_ends_it_stopped_whatever_the_exit()
    {
        Assert.Equal(JobStatus.Cancelled, Decide(Spec(), Exit1, TimeSpan.Zero, stopRequested: "cancel").Status);
        Assert.Equal(JobStatus.Cancelled, Decide(Spec(), new ShimStatus(null, 15, null), TimeSpan.FromSeconds(9), runStopped: true).Status);
    }
}
