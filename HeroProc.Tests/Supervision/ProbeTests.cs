using System.Net;
using System.Net.Sockets;
using HeroProc.Api.Services;
using HeroProc.Tests.Infrastructure;
using static HeroProc.Tests.Services.ServiceArrange;

namespace HeroProc.Tests.Supervision;

/// <summary>Health probes of real processes: degraded and back, restart after failures in a row, each kind of probe.</summary>
public sealed class ProbeTests
{
    static readonly TimeSpan ProbeDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_probe_flipping_between_failing_and_passing_gives_degraded_then_running()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        var healthy = Path.Combine(app.DataDir, "healthy");
        await File.WriteAllTextAsync(healthy, "");
        await client.DefineAsync("api", [Process(probe: FastProbe("command", $"test -e {healthy}"))]);
        await client.RequestAsync("api", "start");

        var running = await client.WaitForStateAsync("api", ServiceState.Running, ProbeDeadline);
        Assert.Equal(Health.Passing, running.Status.Health);
        File.Delete(healthy);
        var degraded = await client.WaitForStateAsync("api", ServiceState.Degraded, ProbeDeadline);
        Assert.Equal(Health.Failing, degraded.Status.Health);
        Assert.Equal(Health.Failing, degraded.Status.Processes.Single().Health);
        await File.WriteAllTextAsync(healthy, "");
        var again = await client.WaitForStateAsync("api", ServiceState.Running, ProbeDeadline);

        // Health changes never restart it without restartAfter: the same process all along.
        Assert.Equal(running.Status.Pid, again.Status.Pid);
        Assert.Equal(0, again.Status.Restarts);
        var transitions = (await client.ServiceEventsAsync("api")).Where(e => e.Action == "main").Select(e => e.State).ToList();
        Assert.Equal(["running", "degraded", "running"], transitions.SkipWhile(s => s != "running").Take(3));
    }

    [Fact]
    public async Task Two_failures_in_a_row_restart_the_process_with_restartAfter_2()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        var healthy = Path.Combine(app.DataDir, "healthy");
        await File.WriteAllTextAsync(healthy, "");
        await client.DefineAsync("api", [Process(restartPolicy: new { delayMs = 0, minUptimeMs = 100 },
            probe: FastProbe("command", $"test -e {healthy}", restartAfter: 2))]);
        await client.RequestAsync("api", "start");
        var first = await client.WaitForStateAsync("api", ServiceState.Running, ProbeDeadline);

        File.Delete(healthy);
        await client.WaitForServiceAsync("api", s => s.Status.Restarts == 1, "was restarted by its probe", ProbeDeadline);
        await File.WriteAllTextAsync(healthy, "");
        var restarted = await client.WaitForStateAsync("api", ServiceState.Running, ProbeDeadline);

        Assert.NotEqual(first.Status.Pid, restarted.Status.Pid);
        Assert.Empty(Engine.ProcessTable.LiveInGroup(first.Status.Pid!.Value));
        var events = await client.ServiceEventsAsync("api");
        Assert.Contains(events, e => e.State == "stopping" && e.Detail == "2 probe failures in a row: restarting");
        Assert.Contains(events, e => e.State == "backoff" && e.Detail!.Contains("restart 1 in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tcp_and_http_probes_pass_while_their_target_answers()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var tcpPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var httpPort = FreePort();
        await client.DefineAsync("tcp", [Process(probe: FastProbe("tcp", $"127.0.0.1:{tcpPort}"))]);
        await client.DefineAsync("http", [Process("main", $"exec python3 -m http.server {httpPort} --bind 127.0.0.1",
            probe: FastProbe("http", $"http://127.0.0.1:{httpPort}/"))]);
        await client.RequestAsync("tcp", "start");
        await client.RequestAsync("http", "start");

        await client.WaitForStateAsync("tcp", ServiceState.Running, ProbeDeadline);
        var http = await client.WaitForStateAsync("http", ServiceState.Running, ProbeDeadline);
        Assert.Equal(Health.Passing, http.Status.Health);
        listener.Stop();
        var degraded = await client.WaitForStateAsync("tcp", ServiceState.Degraded, ProbeDeadline);
        Assert.Equal(Health.Failing, degraded.Status.Health);
        Assert.Contains(await client.ServiceEventsAsync("tcp"), e => e.State == "degraded" && e.Detail!.StartsWith("probe failing", StringComparison.Ordinal));
    }

    static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
