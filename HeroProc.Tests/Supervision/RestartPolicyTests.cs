using System.Globalization;
using System.Text.RegularExpressions;
using HeroProc.Api.Services;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static HeroProc.Tests.Services.ServiceArrange;

namespace HeroProc.Tests.Supervision;

/// <summary>The restart policy of a service's process, with real processes: backoff, the crash-loop limit, and its cost.</summary>
public sealed partial class RestartPolicyTests
{
    [Fact]
    public async Task A_crash_loop_goes_through_backoff_with_the_configured_delays_to_failed()
    {
        // Every attempt exits 3 after 100 ms of real time; on the fake clock it never ran its minUptimeMs.
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z", CultureInfo.InvariantCulture));
        await using var app = new HeroProcApp(clock);
        var client = app.CreateClient();
        await client.DefineAsync("crashy", [Process("main", "sleep 0.1; exit 3",
            new { delayMs = 1000, factor = 2.0, maxDelayMs = 3000, minUptimeMs = 1000, maxRestarts = 3, windowSecs = 300 })]);
        await client.RequestAsync("crashy", "start");

        int[] configured = [1000, 2000, 3000];
        for (var restarts = 0; restarts < configured.Length; restarts++)
        {
            var backoff = await client.WaitForServiceAsync("crashy", s => s.Status.State == ServiceState.Backoff && s.Status.Restarts == restarts,
                $"is in backoff after crash {restarts + 1}");
            Assert.Equal(3, backoff.Status.LastExitCode);
            Assert.Equal(ServiceState.Backoff, backoff.Status.Processes.Single().State);
            var delay = RestartDelay((await client.ServiceEventsAsync("crashy")).Last(e => e.State == "backoff"), restarts + 1);
            // ±10 % jitter, never above maxDelayMs.
            Assert.InRange(delay, configured[restarts] * 0.9, Math.Min(configured[restarts] * 1.1, 3000));
            // Nothing restarts before the delay has passed on the clock.
            clock.Advance(TimeSpan.FromMilliseconds(delay - 50));
            Assert.Equal(restarts, (await client.GetServiceAsync("crashy")).Status.Restarts);
            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        var failed = await client.WaitForStateAsync("crashy", ServiceState.Failed);
        Assert.Equal(3, failed.Status.Restarts);
        Assert.Contains("crash loop", failed.Status.Reason);
        Assert.Equal(3, failed.Status.LastExitCode);
        Assert.Equal(4, (await client.ServiceEventsAsync("crashy")).Count(e => e.Action == "main" && e.State is "backoff" or "failed"));
    }

    [Fact]
    public async Task A_process_that_crashes_once_is_restarted_once()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        var marker = Path.Combine(app.DataDir, "crashed-once");
        await client.DefineAsync("flaky", [Process("main", $"if [ -e {marker} ]; then exec sleep 1000; fi; touch {marker}; exit 7",
            new { delayMs = 0, minUptimeMs = 200 })]);
        await client.RequestAsync("flaky", "start");

        var running = await client.WaitForServiceAsync("flaky", s => s.Status.State == ServiceState.Running && s.Status.Restarts == 1, "runs after one restart");
        Assert.Equal(7, running.Status.LastExitCode);
        Assert.NotNull(running.Status.Pid);
        Assert.Equal(ServiceState.Running, running.Status.Processes.Single().State);
        var events = await client.ServiceEventsAsync("flaky");
        Assert.Contains(events, e => e.State == "backoff" && e.Detail!.StartsWith("exit 7; restart 1 in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_failure_completes_after_exit_0_and_never_does_not_restart()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        await client.DefineAsync("once", [Process("main", "sleep 0.3; exit 0", new { minUptimeMs = 100 }, restart: "on-failure")]);
        await client.DefineAsync("never", [Process("main", "sleep 0.3; exit 4", new { minUptimeMs = 100 }, restart: "never")]);
        await client.RequestAsync("once", "start");
        await client.RequestAsync("never", "start");

        var completed = await client.WaitForStateAsync("once", ServiceState.Completed);
        Assert.Equal(0, completed.Status.Restarts);
        var failed = await client.WaitForStateAsync("never", ServiceState.Failed);
        Assert.Equal(0, failed.Status.Restarts);
        Assert.Equal(4, failed.Status.LastExitCode);
    }

    [Fact]
    public async Task Waiting_in_backoff_costs_the_server_no_cpu()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        // 3 s (2.7 to 3.3 s with jitter) leaves the 1.4 s the test waits inside the backoff ample room, even when
        // a loaded machine sees the backoff begin late.
        await client.DefineAsync("crashy", [Process("main", "exit 1", new { delayMs = 3000, factor = 1.0, minUptimeMs = 1000, maxRestarts = 2 })]);
        await client.RequestAsync("crashy", "start");

        // Measured over the second backoff, watching the database rather than calling the server: the
        // watching costs the server nothing (no request, no JIT compilation of request paths meanwhile).
        var database = new DatabaseProbe(server.DatabasePath);
        await Eventually.TrueAsync(() => database.Scalar<long>("SELECT COUNT(*) FROM jobs WHERE kind = 'process' AND attempt = 2 AND status = 'retrying'") == 1,
            "the second backoff began");
        // A one-second window inside the 3 s wait, clear of the restarts at either end. Spinning while it
        // waits would cost about a core; a timer costs nothing.
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        var cpuBefore = CpuSeconds(server.Pid!.Value);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cpu = CpuSeconds(server.Pid!.Value) - cpuBefore;
        Assert.Equal(2, database.Scalar<long>("SELECT attempt FROM jobs WHERE kind = 'process'"));
        Assert.True(cpu < 0.5, $"the server used {cpu:0.00} s of CPU in 1 s of backoff");
        await client.WaitForStateAsync("crashy", ServiceState.Failed);
    }

    /// <summary>utime + stime of a process, from /proc/PID/stat (fields 14 and 15), in seconds.</summary>
    static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    static double RestartDelay(ServiceEventResponse backoff, int restart)
    {
        var match = DelayPattern().Match(backoff.Detail!);
        Assert.True(match.Success, $"a backoff event says when it restarts: '{backoff.Detail}'");
        Assert.Equal(restart, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"restart (\d+) in (\d+) ms")]
    private static partial Regex DelayPattern();
}
