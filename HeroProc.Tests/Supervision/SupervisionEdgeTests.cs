using System.Net;
using HeroProc.Api.Services;
using HeroProc.Tests.Infrastructure;
using static HeroProc.Tests.Services.ServiceArrange;

namespace HeroProc.Tests.Supervision;

/// <summary>Edges of supervision found in review: each of these once left a service stuck or killed it.</summary>
public sealed class SupervisionEdgeTests
{
    [Fact]
    public async Task A_restart_in_backoff_is_not_hidden_by_an_earlier_restart_that_is_due_but_blocked()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        var dir = app.DataDir;
        // Each crashes once, when told to; b depends on a, so b's restart must wait for a to be up again.
        string CrashOnce(string name) =>
            $"if [ -e {dir}/crashed-{name} ]; then exec sleep 1000; fi; while [ ! -e {dir}/go-{name} ]; do sleep 0.02; done; touch {dir}/crashed-{name}; exit 1";
        await client.DefineAsync("pair", [
            Process("a", CrashOnce("a"), new { delayMs = 1500, minUptimeMs = 100 }),
            Process("b", CrashOnce("b"), new { delayMs = 100, minUptimeMs = 100 }, dependsOn: "a"),
        ]);
        await client.RequestAsync("pair", "start");
        await client.WaitForStateAsync("pair", ServiceState.Running);

        await File.WriteAllTextAsync(Path.Combine(dir, "go-a"), "");
        await client.WaitForServiceAsync("pair", s => s.Status.Processes.Single(p => p.Action == "a").State == ServiceState.Backoff, "has a in backoff");
        await File.WriteAllTextAsync(Path.Combine(dir, "go-b"), "");
        // b falls due first but cannot start before a is up: a's own restart must still come on time.
        var running = await client.WaitForServiceAsync("pair", s => s.Status.State == ServiceState.Running && s.Status.Restarts == 2,
            "runs again after both restarted", TimeSpan.FromSeconds(15));
        Assert.All(running.Status.Processes, p => Assert.Equal(1, p.Restarts));
    }

    [Fact]
    public async Task A_redefine_naming_a_requirement_not_defined_yet_leaves_the_running_service_alone_until_its_next_start()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        await client.DefineAsync("web", [Process()]);
        await client.DefineAsync("other", [Process()]);
        await client.RequestAsync("web", "start");
        var pid = (await client.WaitForStateAsync("web", ServiceState.Running)).Status.Pid;

        await client.DefineAsync("web", [Process()], requires: ["cache"]);
        // Another service's start makes the supervisor look at everything again.
        await client.RequestAsync("other", "start");
        await client.WaitForStateAsync("other", ServiceState.Running);

        var web = await client.GetServiceAsync("web");
        Assert.Equal((ServiceState.Running, pid), (web.Status.State, web.Status.Pid));
        var restart = await client.PostAsync("/api/services/web/restart", null);
        Assert.Equal(HttpStatusCode.Conflict, restart.StatusCode);
        Assert.Contains("'cache'", await restart.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_process_whose_probe_never_passes_is_degraded_not_starting()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        await client.DefineAsync("sick", [Process(probe: FastProbe("command", "echo unhealthy >&2; exit 3"))]);
        await client.RequestAsync("sick", "start");

        var sick = await client.WaitForStateAsync("sick", ServiceState.Degraded, TimeSpan.FromSeconds(15));
        Assert.Equal(Health.Failing, sick.Status.Health);
        Assert.Contains(await client.ServiceEventsAsync("sick"), e => e.Detail == "probe failing (1 in a row): exit 3: unhealthy");
    }
}
