using System.Net;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

public class ActionsApiTests
{
    [Fact]
    public async Task Put_creates_an_action_and_echoes_it_with_every_default_written_out()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);

        var response = await client.PutJsonAsync("/api/actions/build",
            new { script = "cargo build", env = new Dictionary<string, string> { ["RUST_LOG"] = "info" }, tags = new[] { "ci" } });

        var action = await response.ExpectAsync<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("/api/actions/build", response.Headers.Location?.OriginalString);
        Assert.Equal("build", action.Str("name"));
        Assert.True(action.IsNull("service"));
        Assert.Equal("cargo build", action.Str("script"));
        Assert.Equal("sh", action.Str("interpreter"));
        Assert.Equal("oneshot", action.Str("kind"));
        Assert.Equal("never", action.Str("restart"));
        Assert.Equal("TERM", action.Str("stopSignal"));
        Assert.Equal(10, action.GetProperty("stopTimeoutSecs").GetInt32());
        Assert.Equal("info", action.GetProperty("env").GetProperty("RUST_LOG").GetString());
        Assert.Equal(["ci"], action.Strings("tags"));
        Assert.Empty(action.Strings("dependsOn"));
        Assert.Empty(action.Strings("secrets"));
        ApiArrange.AssertTimestamp(action.GetProperty("createdAt"));
        Assert.Equal(action.Str("createdAt"), action.Str("updatedAt"));
        Assert.Equal(1, probe.Scalar<long>("SELECT COUNT(*) FROM actions WHERE name = 'build' AND service IS NULL"));
        Assert.Equal("[\"ci\"]", probe.Scalar<string>("SELECT tags_json FROM actions WHERE name = 'build'"));
        Assert.Equal(action.Str("createdAt"), probe.Scalar<string>("SELECT created_at FROM actions WHERE name = 'build'"));
    }

    [Fact]
    public async Task Put_of_an_existing_name_replaces_the_spec_and_keeps_createdAt()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var first = await (await client.PutJsonAsync("/api/actions/build", new { script = "make v1", tags = new[] { "old" } }))
            .ExpectAsync<JsonElement>(HttpStatusCode.Created);

        var second = await (await client.PutJsonAsync("/api/actions/build", new { script = "make v2", timeoutSecs = 60 }))
            .ExpectAsync<JsonElement>(HttpStatusCode.OK);

        Assert.Equal("make v2", second.Str("script"));
        Assert.Equal(60, second.GetProperty("timeoutSecs").GetInt32());
        Assert.Empty(second.Strings("tags"));
        Assert.Equal(first.Str("createdAt"), second.Str("createdAt"));
        Assert.True(string.CompareOrdinal(second.Str("updatedAt"), first.Str("updatedAt")) >= 0);
        Assert.Equal(1, probe.Scalar<long>("SELECT COUNT(*) FROM actions"));
        Assert.Contains("make v2", probe.Scalar<string>("SELECT spec_json FROM actions WHERE name = 'build'"));
        Assert.Equal("[]", probe.Scalar<string>("SELECT tags_json FROM actions WHERE name = 'build'"));
    }

    [Fact]
    public async Task Get_returns_the_stored_action_and_404_for_an_unknown_name()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var stored = await (await client.PutJsonAsync("/api/actions/test", new { script = "make test", interpreter = "bash" }))
            .ExpectAsync<JsonElement>(HttpStatusCode.Created);

        var action = await client.GetJsonAsync("/api/actions/test");
        var missing = await client.GetAsync("/api/actions/nope");

        Assert.Equal(stored.GetRawText(), action.GetRawText());
        Assert.Equal("bash", action.Str("interpreter"));
        var problem = await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
        Assert.Contains("nope", ProblemAssert.Text(problem));
    }

    [Fact]
    public async Task List_is_ordered_by_name_filters_by_tag_and_pages_with_a_cursor()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        foreach (var (name, tag) in new[] { ("deploy", "prod"), ("build", "ci"), ("lint", "ci"), ("archive", "prod") })
            await (await client.PutJsonAsync($"/api/actions/{name}", new { script = name, tags = new[] { tag } })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("serve"))).ExpectAsync(HttpStatusCode.Created);

        var (all, pages) = await client.GetAllPagesAsync("/api/actions", limit: 2);
        var ci = await client.GetJsonAsync("/api/actions?tag=ci");

        Assert.Equal(["archive", "build", "deploy", "lint", "web.serve"], all.Select(a => a.Str("name")));
        Assert.Equal(3, pages);
        Assert.Equal(["build", "lint"], ci.GetProperty("items").EnumerateArray().Select(a => a.Str("name")));
        Assert.True(ci.IsNull("nextCursor"));
    }

    [Fact]
    public async Task Delete_removes_the_action_and_a_second_delete_is_404()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/actions/keep", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);

        var deleted = await client.DeleteAsync("/api/actions/build");
        var again = await client.DeleteAsync("/api/actions/build");

        await deleted.ExpectAsync(HttpStatusCode.NoContent);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/actions/build"), HttpStatusCode.NotFound);
        Assert.Equal(["keep"], probe.Query<string>("SELECT name FROM actions"));
    }

    [Fact]
    public async Task A_service_owned_action_cannot_be_replaced_or_deleted_through_actions()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("serve"))).ExpectAsync(HttpStatusCode.Created);
        var specBefore = probe.Scalar<string>("SELECT spec_json FROM actions WHERE name = 'web.serve'");

        var put = await client.PutJsonAsync("/api/actions/web.serve", new { script = "hijack" });
        var delete = await client.DeleteAsync("/api/actions/web.serve");

        var putProblem = await ProblemAssert.IsProblemAsync(put, HttpStatusCode.Conflict);
        var deleteProblem = await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.Conflict);
        Assert.Contains("web", ProblemAssert.Text(putProblem));
        Assert.Contains("service", ProblemAssert.Text(deleteProblem));
        Assert.Equal(specBefore, probe.Scalar<string>("SELECT spec_json FROM actions WHERE name = 'web.serve'"));
        Assert.Equal("web", probe.Scalar<string>("SELECT service FROM actions WHERE name = 'web.serve'"));
    }

    [Fact]
    public async Task Delete_of_an_action_named_by_a_schedule_is_409_naming_the_schedule()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/actions/backup", new { script = "restic backup" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/actions/unrelated", new { script = "true" })).ExpectAsync(HttpStatusCode.Created);
        await app.InsertScheduleAsync("nightly-backup", "backup");

        var refused = await client.DeleteAsync("/api/actions/backup");
        var allowed = await client.DeleteAsync("/api/actions/unrelated");

        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains("nightly-backup", ProblemAssert.Text(problem));
        await allowed.ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal(["backup"], probe.Query<string>("SELECT name FROM actions"));
    }

    [Fact]
    public async Task An_action_may_name_a_stored_secret()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await app.InsertSecretAsync("FORGEJO_TOKEN");

        var action = await (await client.PutJsonAsync("/api/actions/publish", new { script = "publish", secrets = new[] { "FORGEJO_TOKEN" } }))
            .ExpectAsync<JsonElement>(HttpStatusCode.Created);

        Assert.Equal(["FORGEJO_TOKEN"], action.Strings("secrets"));
    }

    [Fact]
    public async Task Replacing_or_deleting_an_action_leaves_the_jobs_of_submitted_runs_unchanged()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make v1" })).ExpectAsync(HttpStatusCode.Created);
        var run = await client.SubmitAsync(new { actions = new[] { "build" } });
        var jobId = run.GetProperty("jobs")[0].Id();
        var snapshot = probe.Scalar<string>("SELECT spec_json FROM jobs WHERE id = @jobId", new { jobId });

        await (await client.PutJsonAsync("/api/actions/build", new { script = "make v2" })).ExpectAsync(HttpStatusCode.OK);
        var afterReplace = probe.Scalar<string>("SELECT spec_json FROM jobs WHERE id = @jobId", new { jobId });
        await (await client.DeleteAsync("/api/actions/build")).ExpectAsync(HttpStatusCode.NoContent);

        Assert.Contains("make v1", snapshot);
        Assert.Equal(snapshot, afterReplace);
        Assert.Equal(snapshot, probe.Scalar<string>("SELECT spec_json FROM jobs WHERE id = @jobId", new { jobId }));
        var job = await client.GetJsonAsync($"/api/jobs/{jobId}");
        Assert.Equal("build", job.Str("action"));
        Assert.Empty(probe.Violations());
    }
}
