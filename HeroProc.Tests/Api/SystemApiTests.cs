using System.Net;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

public class SystemApiTests
{
    [Fact]
    public async Task Healthz_answers_ok()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var health = await client.GetJsonAsync("/healthz");

        Assert.Equal("ok", health.Str("status"));
    }

    [Fact]
    public async Task System_info_reports_version_counts_database_size_and_recovery()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("migrate", "serve"))).ExpectAsync(HttpStatusCode.Created);
        await client.SubmitAsync(Specs.Run(3));
        await app.InsertSecretAsync("TOKEN");
        await app.InsertScheduleAsync("nightly", "build");

        var info = await client.GetJsonAsync("/api/system");

        Assert.False(string.IsNullOrEmpty(info.Str("version")));
        ApiArrange.AssertTimestamp(info.GetProperty("startedAt"));
        Assert.True(info.GetProperty("uptimeSecs").GetInt64() >= 0);
        Assert.True(info.GetProperty("paused").GetBoolean(), "this app starts paused");
        var counts = info.GetProperty("counts");
        var probe = new DatabaseProbe(app.DatabasePath).RowCounts();
        foreach (var table in new[] { "actions", "services", "runs", "jobs", "secrets", "schedules" })
            Assert.Equal(probe[table], counts.GetProperty(table).GetInt64());
        Assert.Equal(3, counts.GetProperty("actions").GetInt32());
        Assert.True(info.GetProperty("databaseBytes").GetInt64() >= new FileInfo(app.DatabasePath).Length);
        var recovery = info.GetProperty("recovery");
        Assert.Equal((0, 0, 0), (recovery.GetProperty("adopted").GetInt32(), recovery.GetProperty("completedWhileDown").GetInt32(),
            recovery.GetProperty("lost").GetInt32()));
    }

    /// <summary>Uptime counts from the server's start, not from its first /api/system call.</summary>
    [Fact]
    public async Task System_info_startedAt_is_the_server_start_not_the_first_call()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var action = await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync<JsonElement>(HttpStatusCode.Created);

        var info = await client.GetJsonAsync("/api/system");

        Assert.True(string.CompareOrdinal(info.Str("startedAt"), action.Str("createdAt")) < 0,
            $"startedAt {info.Str("startedAt")} should precede the createdAt {action.Str("createdAt")} of an action stored after the start");
    }

    [Fact]
    public async Task Wipe_deletes_runs_and_jobs_and_keeps_definitions_with_services_stopped()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("serve"))).ExpectAsync(HttpStatusCode.Created);
        await app.SetWantedStatusAsync("web", "start");
        await app.InsertScheduleAsync("nightly", "build");
        await app.InsertSecretAsync("TOKEN");
        var finished = await client.SubmitIdAsync(new { actions = new[] { "build" } });
        await app.FinishRunAsync(finished);
        await client.SubmitIdAsync(Specs.Run(3));

        var response = await client.PostJsonAsync("/api/system/wipe", new { confirm = "wipe" });

        var deleted = (await response.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted");
        Assert.Equal(2, deleted.GetProperty("runs").GetInt32());
        Assert.Equal(4, deleted.GetProperty("jobs").GetInt32());
        var counts = probe.RowCounts();
        Assert.Equal((0, 0, 0, 0), (counts["runs"], counts["jobs"], counts["job_events"], counts["idempotency_keys"]));
        Assert.Equal((2, 1, 1, 1), (counts["actions"], counts["services"], counts["schedules"], counts["secrets"]));
        Assert.Equal("stop", probe.Scalar<string>("SELECT wanted_status FROM services WHERE name = 'web'"));
        Assert.Empty((await client.GetJsonAsync("/api/runs")).GetProperty("items").EnumerateArray());
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Wipe_with_definitions_also_deletes_actions_services_and_schedules()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("migrate", "serve"))).ExpectAsync(HttpStatusCode.Created);
        await app.SetWantedStatusAsync("web", "start");
        await app.InsertScheduleAsync("nightly", "build");
        await app.InsertSecretAsync("TOKEN");
        await client.SubmitIdAsync(new { actions = new[] { "build" } });

        var response = await client.PostJsonAsync("/api/system/wipe?definitions=true", new { confirm = "wipe" });

        var deleted = (await response.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted");
        Assert.Equal((1, 1), (deleted.GetProperty("runs").GetInt32(), deleted.GetProperty("jobs").GetInt32()));
        var counts = probe.RowCounts();
        Assert.All(counts.Where(t => t.Key != "secrets"), table => Assert.Equal(0, table.Value));
        Assert.Equal(1, counts["secrets"]);
        Assert.Empty((await client.GetJsonAsync("/api/actions")).GetProperty("items").EnumerateArray());
        Assert.Empty((await client.GetJsonAsync("/api/services")).GetProperty("items").EnumerateArray());
    }

    /// <summary>Deleting services cascades to their actions: the count must include those.</summary>
    [Fact]
    public async Task Wipe_with_definitions_counts_every_deleted_definition()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("migrate", "serve"))).ExpectAsync(HttpStatusCode.Created);
        await app.InsertScheduleAsync("nightly", "build");

        var response = await client.PostJsonAsync("/api/system/wipe?definitions=true", new { confirm = "wipe" });

        var deleted = (await response.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted");
        Assert.Equal((1, 1), (deleted.GetProperty("services").GetInt32(), deleted.GetProperty("schedules").GetInt32()));
        Assert.Equal(3, deleted.GetProperty("actions").GetInt32());
    }

    [Fact]
    public async Task Wipe_without_the_confirmation_deletes_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("serve"))).ExpectAsync(HttpStatusCode.Created);
        await app.SetWantedStatusAsync("web", "start");
        await client.SubmitIdAsync(Specs.Run(2));
        var before = probe.RowCounts();

        var missing = await client.PostJsonAsync("/api/system/wipe?definitions=true", new { });
        var wrong = await client.PostJsonAsync("/api/system/wipe", new { confirm = "yes" });

        Assert.Contains("confirm", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest)));
        Assert.Contains("confirm", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.BadRequest)));
        Assert.Equal(before, probe.RowCounts());
        Assert.Equal("start", probe.Scalar<string>("SELECT wanted_status FROM services"));
    }

    [Fact]
    public async Task Readyz_answers_once_the_database_answers_and_the_supervisor_runs()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        HttpResponseMessage? response = null;
        // Readiness comes shortly after the start, once recovery ran: wait for it, with a deadline.
        await HeroProc.Tests.Engine.EngineArrange.UntilAsync(async () => (response = await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK,
            "the server is ready");

        var ready = await response!.ExpectAsync<System.Text.Json.JsonElement>(HttpStatusCode.OK);
        Assert.Equal("ready", ready.Str("status"));
    }
}
