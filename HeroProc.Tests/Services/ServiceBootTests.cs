using System.Net;
using System.Text.Json;
using HeroProc.Api.Services;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Services;

/// <summary>
/// The real server as a child process, stopped or killed and started again on the same data: services
/// wanted started come back in dependency order, running ones are re-adopted rather than started twice,
/// and services wanted stopped stay stopped.
/// </summary>
public class ServiceBootTests
{
    /// <summary>
    /// A barrier on the supervisor after a boot: a service started now is running only after the
    /// supervisor's boot step and at least one pass over every service, so whatever the boot decided for
    /// the others has been done by then.
    /// </summary>
    static Task SupervisorHasSettledAsync(HttpClient client) => client.DefineAndStartAsync("sentinel");

    static async Task WaitReadyAsync(HttpClient client) =>
        await EngineArrange.UntilAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the server is ready");

    [Fact(Timeout = 120_000)]
    public async Task Services_wanted_started_are_started_again_at_boot_requirements_first()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["HeroProc:StopJobsOnShutdown"] = "true" });
        await server.StartAsync();
        var client = server.Client;
        var probe = new DatabaseProbe(server.DatabasePath);
        var before = await client.StartPairAsync();

        await server.StopAsync();

        // The graceful stop ended the processes, and left both services wanted started.
        Assert.False(ServiceArrange.IsAlive(before.A.Status.Pid!.Value), "a's process was stopped at shutdown");
        Assert.False(ServiceArrange.IsAlive(before.B.Status.Pid!.Value), "b's process was stopped at shutdown");
        await ServiceArrange.NoProcessLeftAsync(server.DataDir, TimeSpan.FromSeconds(5));
        Assert.Equal(["start", "start"], probe.Query<string>("SELECT wanted_status FROM services WHERE name IN ('a', 'b') ORDER BY name"));

        await server.StartAsync();
        var a = await client.WaitForRunningAsync("a");
        var b = await client.WaitForRunningAsync("b");

        Assert.NotEqual(before.A.Status.RunId, a.Status.RunId);
        Assert.NotEqual(before.B.Status.RunId, b.Status.RunId);
        Assert.True(ServiceArrange.IsAlive(a.Status.Pid!.Value) && ServiceArrange.IsAlive(b.Status.Pid!.Value), "both processes are up");
        Assert.Equal((WantedStatus.Start, WantedStatus.Start), (a.WantedStatus, b.WantedStatus));
        Assert.Equal(2, (await client.ServiceRunsAsync("a")).Count);
        Assert.Equal(2, (await client.ServiceRunsAsync("b")).Count);
        var aEvents = await client.ServiceEventsAsync("a");
        var bEvents = await client.ServiceEventsAsync("b");
        Assert.Contains(aEvents, e => e.Detail == "started at server boot");
        Assert.Contains(bEvents, e => e.Detail == "started at server boot");
        // Dependency order: a's new run was created only once b's new process counted as running.
        var bRunningAt = bEvents.Last(e => e.State == "running").At;
        var aRunningAt = aEvents.Last(e => e.State == "running").At;
        var aRun = await client.GetRunAsync(a.Status.RunId!.Value);
        var bRun = await client.GetRunAsync(b.Status.RunId!.Value);
        Assert.True(bRunningAt <= aRun.CreatedAt, $"b was running ({bRunningAt:O}) before a's run was created ({aRun.CreatedAt:O})");
        Assert.True(bRun.Jobs[0].StartedAt < aRun.Jobs[0].StartedAt, "b's process started before a's");
        Assert.True(bRunningAt < aRunningAt, "b counted as running before a");

        await client.StopAndWaitAsync("b", "a");
        await ServiceArrange.NoProcessLeftAsync(server.DataDir);
    }

    [Fact(Timeout = 120_000)]
    public async Task After_a_kill_9_running_services_are_re_adopted_not_started_twice()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var before = await client.StartPairAsync();
        var (aPid, bPid) = (before.A.Status.Pid!.Value, before.B.Status.Pid!.Value);

        await server.KillAsync();
        Assert.True(ServiceArrange.IsAlive(aPid) && ServiceArrange.IsAlive(bPid), "the processes outlive the server's crash");
        await server.StartAsync();
        await WaitReadyAsync(client);
        await SupervisorHasSettledAsync(client);

        var a = await client.GetServiceAsync("a");
        var b = await client.GetServiceAsync("b");
        Assert.Equal((ServiceState.Running, aPid, before.A.Status.RunId, 0), (a.Status.State, a.Status.Pid!.Value, a.Status.RunId, a.Status.Restarts));
        Assert.Equal((ServiceState.Running, bPid, before.B.Status.RunId, 0), (b.Status.State, b.Status.Pid!.Value, b.Status.RunId, b.Status.Restarts));
        Assert.True(ServiceArrange.IsAlive(aPid) && ServiceArrange.IsAlive(bPid), "the same processes still run");
        Assert.Single(ProcessTable.LiveInGroup(aPid));
        Assert.Single(ProcessTable.LiveInGroup(bPid));
        Assert.Single(await client.ServiceRunsAsync("a"));
        Assert.Single(await client.ServiceRunsAsync("b"));
        Assert.DoesNotContain(await client.ServiceEventsAsync("a"), e => e.Detail == "started at server boot");
        Assert.DoesNotContain(await client.ServiceEventsAsync("b"), e => e.Detail == "started at server boot");
        var recovery = JsonDocument.Parse(await client.GetStringAsync("/api/system")).RootElement.GetProperty("recovery");
        Assert.Equal(2, recovery.GetProperty("adopted").GetInt32());

        await client.StopAndWaitAsync("b", "a");
        await client.StopAndWaitAsync("sentinel");
        Assert.False(ServiceArrange.IsAlive(aPid) || ServiceArrange.IsAlive(bPid), "the re-adopted processes were stopped");
        await ServiceArrange.NoProcessLeftAsync(server.DataDir);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stopping_a_required_service_stops_its_dependents_and_a_server_restart_brings_neither_back()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var probe = new DatabaseProbe(server.DatabasePath);
        var before = await client.StartPairAsync();

        var answer = await client.RequestAsync("b", "stop");

        Assert.Equal(WantedStatus.Stop, answer.WantedStatus);
        Assert.Equal(WantedStatus.Stop, (await client.GetServiceAsync("a")).WantedStatus);
        await client.WaitForStoppedAsync("a");
        await client.WaitForStoppedAsync("b");
        Assert.False(ServiceArrange.IsAlive(before.A.Status.Pid!.Value) || ServiceArrange.IsAlive(before.B.Status.Pid!.Value), "both processes ended");
        var (aRun, bRun) = (await client.GetRunAsync(before.A.Status.RunId!.Value), await client.GetRunAsync(before.B.Status.RunId!.Value));
        Assert.True(aRun.Jobs[0].FinishedAt <= bRun.Jobs[0].FinishedAt, "the dependent a stopped before b, which it requires");
        Assert.Equal([("a", "stop", 0L), ("b", "stop", 0L)],
            probe.Query<(string, string, long)>("SELECT name, wanted_status, needs_run FROM services ORDER BY name"));

        await server.StopAsync();
        await server.StartAsync();
        await WaitReadyAsync(client);
        await SupervisorHasSettledAsync(client);
        // And for a moment longer: nothing brings them back.
        await EngineArrange.StaysAsync(async () =>
        {
            var services = (await client.ServiceListAsync()).Where(s => s.Name is "a" or "b").ToList();
            return services.All(s => s.WantedStatus == WantedStatus.Stop && s.Status.State == ServiceState.Stopped);
        }, "a and b stay wanted stopped and stopped", TimeSpan.FromMilliseconds(500));

        var a = await client.GetServiceAsync("a");
        var b = await client.GetServiceAsync("b");
        Assert.Equal((before.A.Status.RunId, (int?)null), (a.Status.RunId, a.Status.Pid));
        Assert.Equal((before.B.Status.RunId, (int?)null), (b.Status.RunId, b.Status.Pid));
        Assert.Single(await client.ServiceRunsAsync("a"));
        Assert.Single(await client.ServiceRunsAsync("b"));
        Assert.Empty(probe.Query<string>(ServiceArrange.ActiveServiceRunsSql + " AND service IN ('a', 'b')"));
        Assert.DoesNotContain(await client.ServiceEventsAsync("a"), e => e.Detail == "started at server boot");
        Assert.DoesNotContain(await client.ServiceEventsAsync("b"), e => e.Detail == "started at server boot");

        await client.StopAndWaitAsync("sentinel");
        await ServiceArrange.NoProcessLeftAsync(server.DataDir);
    }
}
