using System.Net;
using System.Text.Json;
using HeroProc.Api.Services;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Services;

/// <summary>
/// The services API at its edges: refused requests that change nothing, runs and jobs owned by a
/// service, unknown names, logs and the change feed, a redefine while running, and concurrent requests.
/// </summary>
public class ServiceApiEdgeTests
{
    static readonly string[] Chain = ["a", "b", "c"];

    /// <summary>What a page of a service's logs said, for the message of a timeout.</summary>
    sealed record SeenLogs(long? RunId, List<string> Lines, bool Complete);

    [Fact(Timeout = 60_000)]
    public async Task Start_with_a_requirement_that_is_not_defined_is_409_naming_it_and_changes_nothing()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await client.DefineAsync("api", [ServiceArrange.Process()], requires: ["db"]);
        await client.DefineAsync("web", [ServiceArrange.Process()], requires: ["api"]);
        var before = probe.RowCounts();

        var direct = await client.PostAsync("/api/services/api/start", null);
        var transitive = await client.PostAsync("/api/services/web/start", null);
        var restart = await client.PostAsync("/api/services/web/restart", null);

        Assert.Contains("'db'", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(direct, HttpStatusCode.Conflict)));
        Assert.Contains("'db'", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(transitive, HttpStatusCode.Conflict)));
        Assert.Contains("'db'", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(restart, HttpStatusCode.Conflict)));
        Assert.Equal(before, probe.RowCounts());
        Assert.Equal([("api", "stop", 0L), ("web", "stop", 0L)],
            probe.Query<(string, string, long)>("SELECT name, wanted_status, needs_run FROM services ORDER BY name"));
        foreach (var name in new[] { "api", "web" })
        {
            var service = await client.GetServiceAsync(name);
            Assert.Equal((WantedStatus.Stop, ServiceState.Inactive, (long?)null), (service.WantedStatus, service.Status.State, service.Status.RunId));
            Assert.Empty(await client.ServiceRunsAsync(name));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Delete_is_409_while_wanted_started_and_while_its_processes_stop_then_204()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        // Its processes ignore the stop signal, so stopping takes stopTimeoutSecs: a window in which the run is still active.
        var stubborn = ServiceArrange.Process(script: "trap '' TERM; while :; do sleep 0.1; done", stopTimeoutSecs: 2);
        var pid = (await client.DefineAndStartAsync("x", stubborn)).Status.Pid!.Value;

        var whileStarted = await client.DeleteAsync("/api/services/x");
        await client.RequestAsync("x", "stop");
        var whileStopping = await client.DeleteAsync("/api/services/x");

        Assert.Contains("x", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(whileStarted, HttpStatusCode.Conflict)));
        Assert.Contains("x", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(whileStopping, HttpStatusCode.Conflict)));
        Assert.Equal(1, probe.RowCounts()["services"]);
        await client.WaitForStoppedAsync("x");
        await EngineArrange.UntilAsync(() => Task.FromResult(ProcessTable.LiveInGroup(pid).Count == 0), "the process group is gone");

        await (await client.DeleteAsync("/api/services/x")).ExpectAsync(HttpStatusCode.NoContent);

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/services/x"), HttpStatusCode.NotFound);
        Assert.Equal(0, probe.RowCounts()["services"]);
        Assert.Empty(probe.Query<string>("SELECT name FROM actions"));
        Assert.Empty(probe.Violations());
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_services_run_and_job_cannot_be_cancelled_or_retried_directly()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var running = await client.DefineAndStartAsync("x");
        var runId = running.Status.RunId!.Value;
        var run = await client.GetRunAsync(runId);
        var jobId = Assert.Single(run.Jobs).Id;

        var cancelRun = await client.PostAsync($"/api/runs/{runId}/cancel", null);
        var retryRun = await client.PostAsync($"/api/runs/{runId}/retry", null);
        var cancelJob = await client.PostAsync($"/api/jobs/{jobId}/cancel", null);

        Assert.Equal("x", run.Service);
        Assert.Contains(await client.ServiceRunsAsync("x"), r => r.Id == runId && r.Service == "x");
        await ProblemAssert.IsProblemAsync(cancelRun, HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(retryRun, HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(cancelJob, HttpStatusCode.Conflict);
        var after = await client.GetServiceAsync("x");
        Assert.Equal((ServiceState.Running, running.Status.Pid, runId), (after.Status.State, after.Status.Pid, after.Status.RunId));
        Assert.True(ServiceArrange.IsAlive(running.Status.Pid!.Value));
        Assert.Equal(RunStatus.Running, (await client.GetRunAsync(runId)).Status);

        // Once stopped, the run is cancelled: a plain cancelled run could be retried, a service's may not.
        await client.StopAndWaitAsync("x");
        Assert.Equal(RunStatus.Cancelled, (await client.GetRunAsync(runId)).Status);
        var retryStopped = await client.PostAsync($"/api/runs/{runId}/retry", null);
        Assert.Contains("service", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(retryStopped, HttpStatusCode.Conflict)));
        Assert.Single(await client.ServiceRunsAsync("x"));
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task Requests_on_an_unknown_or_malformed_service_name_are_404_and_write_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await client.DefineAsync("known", [ServiceArrange.Process()]);
        var before = probe.RowCounts();

        foreach (var name in new[] { "nope", "Bad", "a.b", "-dash", "known.main" })
        {
            foreach (var verb in new[] { "start", "stop", "restart" })
            {
                var problem = await ProblemAssert.IsProblemAsync(await client.PostAsync($"/api/services/{name}/{verb}", null), HttpStatusCode.NotFound);
                Assert.Contains(name, ProblemAssert.Text(problem));
            }
            foreach (var path in new[] { "", "/logs", "/events" })
                await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/services/{name}{path}"), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/api/services/{name}"), HttpStatusCode.NotFound);
        }

        Assert.Equal(before, probe.RowCounts());
        Assert.Equal("stop", probe.Scalar<string>("SELECT wanted_status FROM services WHERE name = 'known'"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_never_started_service_has_null_run_pid_since_and_usage_in_its_status()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await client.DefineAsync("x", [ServiceArrange.Process()]);

        var one = (await client.GetAsync("/api/services/x")).ExpectAsync<JsonElement>(HttpStatusCode.OK);
        var listed = (await client.GetAsync("/api/services")).ExpectAsync<JsonElement>(HttpStatusCode.OK);

        var statuses = new[] { (await one).GetProperty("status"), (await listed).GetProperty("items")[0].GetProperty("status") };
        foreach (var status in statuses)
        {
            Assert.Equal("inactive", status.GetProperty("state").GetString());
            // API.md: absent optional values are null. 'since' is when the last change happened: there was none.
            foreach (var absent in new[] { "runId", "pid", "since", "uptimeSecs", "memoryBytes", "cpuPercent", "lastExitCode", "reason" })
                Assert.True(status.GetProperty(absent).ValueKind == JsonValueKind.Null,
                    $"status.{absent} of a never-started service is null, not {status.GetProperty(absent)}");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Logs_of_a_never_started_service_are_empty_and_complete_then_show_its_output_after_a_start()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        await client.DefineAsync("x", [ServiceArrange.Process(script: "echo hello from x; echo oops >&2; exec sleep 1000")]);

        var logs = await (await client.GetAsync("/api/services/x/logs")).ExpectAsync<JsonElement>(HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, logs.GetProperty("runId").ValueKind);
        Assert.Equal(0, logs.GetProperty("lines").GetArrayLength());
        Assert.True(logs.GetProperty("complete").GetBoolean());

        var started = await client.RequestAsync("x", "start");
        Assert.NotNull(started.Status.Since);
        var runId = (await client.WaitForRunningAsync("x")).Status.RunId;
        SeenLogs? seen = null;
        await EngineArrange.UntilAsync(async () =>
        {
            var page = await client.ServiceLogsAsync("x");
            seen = new(page.RunId, page.Lines.Select(l => $"{l.Stream}: {l.Text}").ToList(), page.Complete);
            return page.Lines.Count == 2;
        }, "the process's two lines are in the service's logs", lastSeen: () => $"{seen}");

        Assert.Equal(runId, seen!.RunId);
        Assert.Equal(["stderr: oops", "stdout: hello from x"], seen.Lines.Order());
        Assert.False(seen.Complete, "the process still runs");

        await client.StopAndWaitAsync("x");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_change_feed_carries_the_service_with_its_status_when_it_is_started()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        await client.DefineAsync("fed", [ServiceArrange.Process()]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var events = await client.OpenEventStreamAsync("/api/events", timeout.Token);

        await client.RequestAsync("fed", "start");
        var states = new List<string>();
        long lastId = 0;
        while (!states.Contains("running"))
        {
            var next = await events.NextAsync();
            Assert.True(next is not null, "the change feed stays open");
            var id = long.Parse(next!.Value.EventId!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(id > lastId, "event ids increase");
            lastId = id;
            if (next.Value.EventType != "service")
                continue;
            var service = JsonDocument.Parse(next.Value.Data).RootElement;
            if (service.GetProperty("name").GetString() != "fed")
                continue;
            Assert.Equal("start", service.GetProperty("wantedStatus").GetString());
            var status = service.GetProperty("status");
            states.Add(status.GetProperty("state").GetString()!);
            if (states[^1] == "running")
                Assert.True(status.GetProperty("pid").GetInt32() > 0, "a running service's event has its pid");
        }

        Assert.Equal("starting", states[0]);
        await client.StopAndWaitAsync("fed");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_redefine_keeps_the_running_process_and_applies_at_the_next_restart()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var first = await client.DefineAndStartAsync("x", ServiceArrange.Process(script: "echo version one; exec sleep 1000"));
        var pid = first.Status.Pid!.Value;

        await client.DefineAsync("x", [ServiceArrange.Process(script: "echo version two; exec sleep 1000")]);
        // Make the supervisor pass over every service: another service started after the redefine is running.
        await client.DefineAndStartAsync("poke");

        var redefined = await client.GetServiceAsync("x");
        Assert.Equal((ServiceState.Running, pid, first.Status.RunId), (redefined.Status.State, redefined.Status.Pid!.Value, redefined.Status.RunId));
        Assert.True(ServiceArrange.IsAlive(pid), "the old process still runs");
        Assert.Equal("echo version two; exec sleep 1000", Assert.Single(redefined.Actions).Script);
        Assert.Contains((await client.ServiceLogsAsync("x")).Lines, l => l.Text == "version one");

        await client.RequestAsync("x", "restart");
        var restarted = await client.WaitForServiceAsync("x", s => s.Status.RunId != first.Status.RunId && s.Status.State == ServiceState.Running,
            "runs again from a new run");
        await EngineArrange.UntilAsync(async () => (await client.ServiceLogsAsync("x")).Lines.Any(l => l.Text == "version two"),
            "the new script's output is in the logs");

        Assert.DoesNotContain((await client.ServiceLogsAsync("x")).Lines, l => l.Text == "version one");
        Assert.NotEqual(pid, restarted.Status.Pid);
        Assert.False(ServiceArrange.IsAlive(pid), "the old process was stopped");
        Assert.Equal(2, (await client.ServiceRunsAsync("x")).Count);

        await client.StopAndWaitAsync("x");
        await client.StopAndWaitAsync("poke");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task Wipe_stops_service_processes_and_keeps_the_definitions_wanted_stopped()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var (a, b) = await client.StartPairAsync();
        var pids = new[] { a.Status.Pid!.Value, b.Status.Pid!.Value };

        var wipe = await client.PostJsonAsync("/api/system/wipe", new { confirm = "wipe" });

        var deleted = (await wipe.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted");
        Assert.Equal((2, 2), (deleted.GetProperty("runs").GetInt32(), deleted.GetProperty("jobs").GetInt32()));
        Assert.All(pids, pid => Assert.False(ServiceArrange.IsAlive(pid), $"process {pid} was stopped by the wipe"));
        foreach (var name in new[] { "a", "b" })
        {
            var service = await client.GetServiceAsync(name);
            Assert.Equal(WantedStatus.Stop, service.WantedStatus);
            Assert.Equal((ServiceState.Inactive, (long?)null), (service.Status.State, service.Status.RunId));
            Assert.Single(service.Actions);
        }
        var probe = new DatabaseProbe(app.DatabasePath);
        Assert.Empty(probe.Query<string>("SELECT name FROM services WHERE needs_run = 1 OR wanted_status = 'start'"));
        Assert.Empty(probe.Violations());
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 120_000)]
    public async Task Twenty_concurrent_start_stop_and_restart_requests_on_a_chain_end_consistently()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await client.DefineAsync("c", [ServiceArrange.Process()]);
        await client.DefineAsync("b", [ServiceArrange.Process()], requires: ["c"]);
        await client.DefineAsync("a", [ServiceArrange.Process()], requires: ["b"]);
        await client.RequestAsync("a", "start");
        foreach (var name in Chain)
            await client.WaitForRunningAsync(name);
        // Every service with every verb, twice or more, in a shuffled order.
        string[] verbs = ["start", "stop", "restart"];
        var random = new Random(20261128);
        var requests = Enumerable.Range(0, 20).Select(i => (Service: Chain[i % 3], Verb: verbs[i / 3 % 3])).OrderBy(_ => random.Next()).ToList();

        var answers = await Task.WhenAll(requests.Select(r => client.PostAsync($"/api/services/{r.Service}/{r.Verb}", null)));

        foreach (var (answer, request) in answers.Zip(requests))
            Assert.True(answer.StatusCode == HttpStatusCode.Accepted, $"{request.Verb} {request.Service}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        var lastSeen = "";
        await EngineArrange.UntilAsync(async () =>
        {
            var services = (await client.ServiceListAsync()).ToDictionary(s => s.Name);
            lastSeen = string.Join("; ", services.Values.Select(s => $"{s.Name} wanted {s.WantedStatus} {s.Status.State} run {s.Status.RunId}")) +
                       $"; needs_run: {string.Join(",", probe.Query<string>("SELECT name FROM services WHERE needs_run = 1"))}";
            return Chain.All(n => services[n].WantedStatus == WantedStatus.Start
                       ? services[n].Status.State == ServiceState.Running
                       : services[n].Status.State == ServiceState.Stopped)
                   && probe.Scalar<long>("SELECT COUNT(*) FROM services WHERE needs_run = 1") == 0;
        }, "every service has settled where it is wanted", TimeSpan.FromSeconds(30), () => lastSeen);

        Assert.Empty(probe.Query<string>("SELECT name FROM services WHERE needs_run = 1"));
        Assert.Empty(probe.Query<string>(ServiceArrange.ActiveServiceRunsSql + " AND service IN (SELECT name FROM services WHERE wanted_status = 'stop')"));
        Assert.Empty(probe.Query<string>(ServiceArrange.ActiveServiceRunsSql + " GROUP BY service HAVING COUNT(*) > 1"));
        // Wanted started implies every requirement wanted started: each request changed its closure in one transaction.
        Assert.Empty(probe.Query<string>(
            """
            SELECT s.name FROM services s, json_each(s.requires_json) r JOIN services req ON req.name = r.value
            WHERE s.wanted_status = 'start' AND req.wanted_status = 'stop'
            """));
        foreach (var name in Chain)
        {
            var service = await client.GetServiceAsync(name);
            var activeRuns = probe.Scalar<long>($"SELECT COUNT(*) FROM ({ServiceArrange.ActiveServiceRunsSql} AND service = @name)", new { name });
            if (service.WantedStatus == WantedStatus.Start)
            {
                Assert.True(ServiceArrange.IsAlive(service.Status.Pid!.Value), $"{name}'s process is alive");
                Assert.Equal(1, activeRuns);
            }
            else
            {
                Assert.Null(service.Status.Pid);
                Assert.Equal(0, activeRuns);
            }
        }
        Assert.Empty(probe.Violations());

        await client.StopAndWaitAsync("c", "a", "b");
        Assert.Empty(probe.Query<string>(ServiceArrange.ActiveServiceRunsSql));
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }
    [Fact(Timeout = 60_000)]
    public async Task A_service_requiring_a_oneshot_only_service_starts_once_that_one_has_completed()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        await client.DefineAsync("setup", [new { name = "prepare", kind = "oneshot", script = "echo prepared" }]);
        await client.DefineAsync("web", [ServiceArrange.Process()], requires: ["setup"]);

        await client.RequestAsync("web", "start");

        await client.WaitForServiceAsync("setup", s => s.Status.State == ServiceState.Completed, "has completed");
        // API.md: a dependent waits until its requirements are running or completed.
        var web = await client.WaitForRunningAsync("web", TimeSpan.FromSeconds(10));
        Assert.Equal(WantedStatus.Start, web.WantedStatus);

        await client.RequestAsync("setup", "stop");
        await client.WaitForServiceAsync("web", s => s.WantedStatus == WantedStatus.Stop && s.Status.Pid is null &&
                                                     s.Status.State is ServiceState.Stopped or ServiceState.Inactive, "is stopped");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task When_a_required_service_fails_its_running_dependent_is_stopped_and_failed_naming_it()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var gate = Path.Combine(app.SharedDir(), "fail-now");
        await client.DefineAsync("db", [new
        {
            name = "main", kind = "process", restart = "never", restartPolicy = new { minUptimeMs = ServiceArrange.MinUptimeMs },
            script = $"while [ ! -e '{gate}' ]; do sleep 0.05; done; exit 3",
        }]);
        await client.DefineAsync("web", [ServiceArrange.Process()], requires: ["db"]);
        await client.RequestAsync("web", "start");
        var webPid = (await client.WaitForRunningAsync("web")).Status.Pid!.Value;

        File.WriteAllText(gate, "");

        await client.WaitForServiceAsync("db", s => s.Status.State == ServiceState.Failed, "has failed");
        var web = await client.WaitForServiceAsync("web", s => s.Status.State == ServiceState.Failed, "has failed too", TimeSpan.FromSeconds(10));
        Assert.Contains("db", web.Status.Reason);
        await EngineArrange.UntilAsync(() => Task.FromResult(!ServiceArrange.IsAlive(webPid)), "web's process was stopped");

        await client.RequestAsync("db", "stop");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }
    [Fact(Timeout = 60_000)]
    public async Task Restart_of_a_required_service_stops_its_running_dependent_first_and_starts_it_again_after()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var before = await client.StartPairAsync();

        await client.RequestAsync("b", "restart");

        var b = await client.WaitForServiceAsync("b", s => s.Status.RunId != before.B.Status.RunId && s.Status.State == ServiceState.Running, "runs again");
        var a = await client.WaitForServiceAsync("a", s => s.Status.RunId != before.A.Status.RunId && s.Status.State == ServiceState.Running, "runs again");
        Assert.Equal((WantedStatus.Start, WantedStatus.Start), (a.WantedStatus, b.WantedStatus));
        Assert.False(ServiceArrange.IsAlive(before.A.Status.Pid!.Value) || ServiceArrange.IsAlive(before.B.Status.Pid!.Value), "the old processes were stopped");
        var (oldA, oldB) = (await client.GetRunAsync(before.A.Status.RunId!.Value), await client.GetRunAsync(before.B.Status.RunId!.Value));
        Assert.Equal((RunStatus.Cancelled, RunStatus.Cancelled), (oldA.Status, oldB.Status));
        Assert.True(oldA.Jobs[0].FinishedAt <= oldB.Jobs[0].FinishedAt, "the dependent stopped before the service it requires");
        var newA = await client.GetRunAsync(a.Status.RunId!.Value);
        var bRunningAt = (await client.ServiceEventsAsync("b")).Last(e => e.State == "running").At;
        Assert.True(bRunningAt <= newA.CreatedAt, "the dependent started again once the restarted service was running");
        Assert.Contains(await client.ServiceEventsAsync("a"), e => e.Detail == "restart requested through 'b'");
        Assert.Equal(2, (await client.ServiceRunsAsync("a")).Count);

        await client.StopAndWaitAsync("b", "a");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task Wipe_with_definitions_stops_running_services_and_deletes_them()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var pid = (await client.DefineAndStartAsync("x")).Status.Pid!.Value;

        await (await client.PostJsonAsync("/api/system/wipe?definitions=true", new { confirm = "wipe" })).ExpectAsync(HttpStatusCode.OK);

        Assert.False(ServiceArrange.IsAlive(pid), "the service's process was stopped by the wipe");
        Assert.Empty(await client.ServiceListAsync());
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/services/x"), HttpStatusCode.NotFound);
        var counts = new DatabaseProbe(app.DatabasePath).RowCounts();
        Assert.Equal((0, 0, 0, 0), (counts["services"], counts["actions"], counts["runs"], counts["service_events"]));
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }
    /// <summary>
    /// The supervisor stops the dependents of a stopped service one by one, from the snapshot its pass
    /// read. A start of one of them, committed after that read but before its turn, must win: the service
    /// ends wanted started and running, never wanted started yet stopped for good.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task A_start_that_arrives_while_the_supervisor_is_stopping_that_service_is_not_lost()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await client.DefineAsync("base", [ServiceArrange.Process()]);
        var dependents = Enumerable.Range(0, 30).Select(i => $"d{i:D2}").ToList();
        foreach (var name in dependents)
            await client.DefineAsync(name, [ServiceArrange.Process()], requires: ["base"]);
        const string Dependents = "SELECT s.name FROM services s JOIN runs r ON r.id = s.run_id WHERE s.name LIKE 'd%' AND r.cancel_requested = @cancelled ORDER BY s.id";

        string? target = null;
        for (var attempt = 0; attempt < 5 && target is null; attempt++)
        {
            foreach (var name in dependents)
                await client.RequestAsync(name, "start");
            foreach (var name in dependents)
                await client.WaitForRunningAsync(name);

            await client.RequestAsync("base", "stop");
            // The pass has begun stopping the dependents: start one whose turn has not come yet.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (probe.Query<string>(Dependents, new { cancelled = 1 }).Count == 0)
                Assert.True(DateTime.UtcNow < deadline, "the supervisor began stopping the dependents");
            var notYet = probe.Query<string>(Dependents, new { cancelled = 0 });
            if (notYet.Count >= 2)
            {
                target = notYet[^1];
                await client.RequestAsync(target, "start");
            }
            foreach (var name in dependents.Where(d => d != target))
                await client.WaitForStoppedAsync(name);
        }
        Assert.True(target is not null, "a start landed while the dependents were being stopped");

        // Every other dependent has been dealt with: the pass that read the old snapshot is over.
        var service = await client.WaitForServiceAsync(target!, s => s.Status.State == ServiceState.Running && s.Status.Pid is not null,
            "runs, as it was last asked to", TimeSpan.FromSeconds(10));
        Assert.Equal(WantedStatus.Start, service.WantedStatus);
        Assert.True(ServiceArrange.IsAlive(service.Status.Pid!.Value));
        Assert.Equal(ServiceState.Running, (await client.WaitForRunningAsync("base")).Status.State);

        await client.RequestAsync("base", "stop");
        await client.WaitForStoppedAsync(target!);
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }
}
