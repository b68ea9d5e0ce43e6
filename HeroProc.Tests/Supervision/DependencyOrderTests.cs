using HeroProc.Api.Services;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;
using static HeroProc.Tests.Services.ServiceArrange;

namespace HeroProc.Tests.Supervision;

/// <summary>Start, stop and failure across <c>requires</c>, checked by the times the server recorded.</summary>
public sealed class DependencyOrderTests
{
    [Fact]
    public async Task A_requires_chain_starts_from_the_bottom_and_stops_from_the_top()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        await client.DefineAsync("c", [Process()]);
        await client.DefineAsync("b", [Process()], requires: ["c"]);
        await client.DefineAsync("a", [Process()], requires: ["b"]);

        await client.RequestAsync("a", "start");
        foreach (var name in new[] { "a", "b", "c" })
            await client.WaitForStateAsync(name, ServiceState.Running);
        var jobs = await JobsOfServicesAsync(client, "a", "b", "c");
        // A dependent starts only once its requirement is running (up for its minUptimeMs).
        var running = await RunningAtAsync(client, "a", "b", "c");
        Assert.True(jobs["b"].StartedAt >= running["c"], $"b started {jobs["b"].StartedAt:O}, c was running at {running["c"]:O}");
        Assert.True(jobs["a"].StartedAt >= running["b"], $"a started {jobs["a"].StartedAt:O}, b was running at {running["b"]:O}");
        var pids = jobs.Values.Select(j => j.Pid!.Value).ToList();

        // Stopping the bottom one stops everything above it first, most dependent first.
        await client.RequestAsync("c", "stop");
        foreach (var name in new[] { "a", "b", "c" })
        {
            var stopped = await client.WaitForStateAsync(name, ServiceState.Stopped);
            Assert.Equal(WantedStatus.Stop, stopped.WantedStatus);
        }
        jobs = await JobsOfServicesAsync(client, "a", "b", "c");
        var stopAsked = await StopAskedAtAsync(client, "a", "b", "c");
        Assert.True(stopAsked["b"] >= jobs["a"].FinishedAt, $"b was stopped at {stopAsked["b"]:O}, a ended at {jobs["a"].FinishedAt:O}");
        Assert.True(stopAsked["c"] >= jobs["b"].FinishedAt, $"c was stopped at {stopAsked["c"]:O}, b ended at {jobs["b"].FinishedAt:O}");
        Assert.All(pids, pid => Assert.Empty(ProcessTable.LiveInGroup(pid)));
    }

    [Fact]
    public async Task A_failed_requirement_stops_its_dependents_and_they_show_failed_naming_it()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        var crash = Path.Combine(app.DataDir, "crash-now");
        await client.DefineAsync("db", [Process("main", $"while [ ! -e {crash} ]; do sleep 0.05; done; exit 2",
            new { delayMs = 0, minUptimeMs = 100, maxRestarts = 1 })]);
        await client.DefineAsync("web", [Process()], requires: ["db"]);
        await client.RequestAsync("web", "start");
        var webPid = (await client.WaitForStateAsync("web", ServiceState.Running)).Status.Pid!.Value;

        // The crash-loop limit makes db give up: it fails, and web is stopped because of it.
        await File.WriteAllTextAsync(crash, "");
        var db = await client.WaitForStateAsync("db", ServiceState.Failed);
        Assert.Equal(1, db.Status.Restarts);
        var web = await client.WaitForStateAsync("web", ServiceState.Failed);
        Assert.Equal("requirement 'db' failed", web.Status.Reason);
        await EngineArrange.UntilAsync(() => Task.FromResult(ProcessTable.LiveInGroup(webPid).Count == 0), "web's process is gone");
        Assert.Contains(await client.ServiceEventsAsync("web"), e => e.State == "failed" && e.Detail == "requirement 'db' failed");

        // Starting web again starts db again too.
        File.Delete(crash);
        await client.RequestAsync("web", "start");
        await client.WaitForStateAsync("web", ServiceState.Running);
        Assert.Equal(ServiceState.Running, (await client.GetServiceAsync("db")).Status.State);
        Assert.Null((await client.GetServiceAsync("web")).Status.Reason);
    }

    [Fact]
    public async Task Restart_stops_the_running_dependents_first_and_starts_them_again_with_fresh_runs()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        await client.DefineAsync("db", [Process()]);
        await client.DefineAsync("web", [Process()], requires: ["db"]);
        await client.RequestAsync("web", "start");
        var before = new Dictionary<string, ServiceResponse>
        {
            ["web"] = await client.WaitForStateAsync("web", ServiceState.Running),
            ["db"] = await client.WaitForStateAsync("db", ServiceState.Running),
        };

        await client.RequestAsync("db", "restart");
        var after = new Dictionary<string, ServiceResponse>();
        foreach (var name in new[] { "db", "web" })
            after[name] = await client.WaitForServiceAsync(name, s => s.Status.State == ServiceState.Running && s.Status.RunId != before[name].Status.RunId,
                "runs again with a new run");
        var jobs = await JobsOfServicesAsync(client, "db", "web");
        var oldWeb = (await client.GetRunAsync(before["web"].Status.RunId!.Value)).Jobs.Single();
        var oldDb = (await client.GetRunAsync(before["db"].Status.RunId!.Value)).Jobs.Single();
        Assert.True(oldDb.FinishedAt >= oldWeb.FinishedAt, "web stopped before db");
        Assert.True(jobs["web"].StartedAt >= jobs["db"].StartedAt, "db started before web");
        Assert.All(before.Values, s => Assert.Empty(ProcessTable.LiveInGroup(s.Status.Pid!.Value)));
    }

    [Fact]
    public async Task After_orders_without_requiring()
    {
        await using var app = new HeroProcApp();
        var client = app.CreateClient();
        await client.DefineAsync("x", [Process(restartPolicy: new { minUptimeMs = 500 })]);
        await client.DefineAsync("y", [Process()], after: ["x"]);

        // Alone, y starts without x: 'after' is no requirement.
        await client.RequestAsync("y", "start");
        await client.WaitForStateAsync("y", ServiceState.Running);
        Assert.Equal((ServiceState.Inactive, WantedStatus.Stop), ((await client.GetServiceAsync("x")).Status.State, (await client.GetServiceAsync("x")).WantedStatus));

        // Started together, y waits until x has settled (running), then starts.
        await client.RequestAsync("y", "stop");
        await client.WaitForStateAsync("y", ServiceState.Stopped);
        await client.RequestAsync("x", "start");
        await client.RequestAsync("y", "start");
        await client.WaitForStateAsync("y", ServiceState.Running);
        var xRunning = (await RunningAtAsync(client, "x"))["x"];
        var yRun = await client.GetRunAsync((await client.GetServiceAsync("y")).Status.RunId!.Value);
        Assert.True(yRun.CreatedAt >= xRunning, $"y's run was created {yRun.CreatedAt:O}, x was running at {xRunning:O}");
    }

    /// <summary>The process job of each service's current run.</summary>
    static async Task<Dictionary<string, HeroProc.Api.Runs.JobResponse>> JobsOfServicesAsync(HttpClient client, params string[] names)
    {
        var jobs = new Dictionary<string, HeroProc.Api.Runs.JobResponse>();
        foreach (var name in names)
            jobs[name] = (await client.GetRunAsync((await client.GetServiceAsync(name)).Status.RunId!.Value)).Jobs.Single();
        return jobs;
    }

    /// <summary>When each service's process was recorded as up (its last <c>running</c> event).</summary>
    static async Task<Dictionary<string, DateTimeOffset>> RunningAtAsync(HttpClient client, params string[] names)
    {
        var at = new Dictionary<string, DateTimeOffset>();
        foreach (var name in names)
            at[name] = (await client.ServiceEventsAsync(name)).Last(e => e.State == "running").At;
        return at;
    }

    /// <summary>When the supervisor began stopping each service's processes.</summary>
    static async Task<Dictionary<string, DateTimeOffset>> StopAskedAtAsync(HttpClient client, params string[] names)
    {
        var at = new Dictionary<string, DateTimeOffset>();
        foreach (var name in names)
            at[name] = (await client.ServiceEventsAsync(name)).Last(e => e.State == "stopping" && e.Detail!.StartsWith("stopping its processes", StringComparison.Ordinal)).At;
        return at;
    }
}
