using System.Net;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

public class ServicesApiTests
{
    static readonly object Web = new
    {
        description = "web frontend",
        requires = new[] { "db" },
        after = new[] { "network" },
        actions = new object[]
        {
            new { name = "migrate", kind = "oneshot", script = "./migrate" },
            new { name = "serve", kind = "process", script = "./web", dependsOn = new[] { "migrate" },
                  probe = new { type = "tcp", target = "127.0.0.1:8080" } },
        },
    };

    [Fact]
    public async Task Define_stores_the_service_with_its_actions_wanted_stopped_and_inactive()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);

        var response = await client.PutJsonAsync("/api/services/web", Web);

        var service = await response.ExpectAsync<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("/api/services/web", response.Headers.Location?.OriginalString);
        Assert.Equal("web", service.Str("name"));
        Assert.Equal("web frontend", service.Str("description"));
        Assert.Equal(["db"], service.Strings("requires"));
        Assert.Equal(["network"], service.Strings("after"));
        Assert.Equal("stop", service.Str("wantedStatus"));
        var actions = service.GetProperty("actions").EnumerateArray().ToList();
        Assert.Equal(["migrate", "serve"], actions.Select(a => a.Str("name")));
        Assert.Equal(["migrate"], actions[1].Strings("dependsOn"));
        Assert.Equal("always", actions[1].Str("restart"));
        Assert.Equal(100, actions[1].GetProperty("restartPolicy").GetProperty("delayMs").GetInt32());
        Assert.Equal(5, actions[1].GetProperty("probe").GetProperty("intervalSecs").GetInt32());
        var status = service.GetProperty("status");
        Assert.Equal("inactive", status.Str("state"));
        Assert.Equal("none", status.Str("health"));
        Assert.Equal(0, status.GetProperty("restarts").GetInt32());
        var process = Assert.Single(status.GetProperty("processes").EnumerateArray());
        Assert.Equal(("serve", "inactive"), (process.Str("action"), process.Str("state")));
        ApiArrange.AssertTimestamp(service.GetProperty("createdAt"));
        Assert.Equal("stop", probe.Scalar<string>("SELECT wanted_status FROM services WHERE name = 'web'"));
        Assert.Equal(["web.migrate", "web.serve"], probe.Query<string>("SELECT name FROM actions WHERE service = 'web' ORDER BY position"));
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Service_actions_appear_under_actions_as_service_dot_action_with_service_set()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/services/web", Web)).ExpectAsync(HttpStatusCode.Created);

        var list = (await client.GetJsonAsync("/api/actions")).GetProperty("items").EnumerateArray().ToList();
        var serve = await client.GetJsonAsync("/api/actions/web.serve");

        Assert.Equal(["web.migrate", "web.serve"], list.Select(a => a.Str("name")));
        Assert.All(list, a => Assert.Equal("web", a.Str("service")));
        Assert.Equal("web.serve", serve.Str("name"));
        Assert.Equal("process", serve.Str("kind"));
        Assert.Equal(["migrate"], serve.Strings("dependsOn"));
    }

    [Fact]
    public async Task Redefine_replaces_the_action_set_and_drops_removed_actions_everywhere()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var first = await (await client.PutJsonAsync("/api/services/web", Web)).ExpectAsync<JsonElement>(HttpStatusCode.Created);

        var response = await client.PutJsonAsync("/api/services/web", new
        {
            actions = new object[] { new { name = "serve", kind = "process", script = "./web --v2" }, new { name = "warm", script = "curl" } },
        });

        var service = await response.ExpectAsync<JsonElement>(HttpStatusCode.OK);
        Assert.Equal(["serve", "warm"], service.GetProperty("actions").EnumerateArray().Select(a => a.Str("name")));
        Assert.Empty(service.Strings("requires"));
        Assert.True(service.IsNull("description"));
        Assert.Equal(first.Str("createdAt"), service.Str("createdAt"));
        var listed = (await client.GetJsonAsync("/api/actions")).GetProperty("items").EnumerateArray().Select(a => a.Str("name"));
        Assert.Equal(["web.serve", "web.warm"], listed);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/actions/web.migrate"), HttpStatusCode.NotFound);
        Assert.Equal(["web.serve", "web.warm"], probe.Query<string>("SELECT name FROM actions ORDER BY position"));
        Assert.Contains("--v2", probe.Scalar<string>("SELECT spec_json FROM actions WHERE name = 'web.serve'"));
        Assert.Equal(1, probe.RowCounts()["services"]);
    }

    [Fact]
    public async Task Get_returns_the_definition_and_404_for_an_unknown_name()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var defined = await (await client.PutJsonAsync("/api/services/web", Web)).ExpectAsync<JsonElement>(HttpStatusCode.Created);

        var service = await client.GetJsonAsync("/api/services/web");
        var missing = await client.GetAsync("/api/services/nope");

        Assert.Equal(defined.GetRawText(), service.GetRawText());
        Assert.Contains("nope", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound)));
    }

    [Fact]
    public async Task List_is_ordered_by_name_with_status_and_without_actions_and_pages()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        foreach (var name in new[] { "web", "db", "cache", "api" })
            await (await client.PutJsonAsync($"/api/services/{name}", Specs.Service("run"))).ExpectAsync(HttpStatusCode.Created);
        await app.SetWantedStatusAsync("db", "start");

        var all = (await client.GetJsonAsync("/api/services")).GetProperty("items").EnumerateArray().ToList();
        var (paged, pages) = await client.GetAllPagesAsync("/api/services", limit: 3);

        Assert.Equal(["api", "cache", "db", "web"], all.Select(s => s.Str("name")));
        Assert.All(all, s =>
        {
            Assert.False(s.TryGetProperty("actions", out _));
            Assert.Equal("inactive", s.GetProperty("status").Str("state"));
            Assert.Empty(s.Strings("requires"));
        });
        Assert.Equal(["stop", "stop", "start", "stop"], all.Select(s => s.Str("wantedStatus")));
        Assert.Equal(all.Select(s => s.GetRawText()), paged.Select(s => s.GetRawText()));
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task List_defaults_to_500_items_so_one_call_is_the_status_of_everything()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        for (var i = 0; i < 60; i++)
            await (await client.PutJsonAsync($"/api/services/svc{i:D2}", Specs.Service("run"))).ExpectAsync(HttpStatusCode.Created);

        var list = await client.GetJsonAsync("/api/services");

        Assert.Equal(60, list.GetProperty("items").GetArrayLength());
        Assert.True(list.IsNull("nextCursor"));
    }

    [Fact]
    public async Task Define_may_require_and_follow_services_that_do_not_exist_yet()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var response = await client.PutJsonAsync("/api/services/api", new { requires = new[] { "db" }, after = new[] { "cache" }, actions = new[] { new { name = "run", script = "x" } } });

        var service = await response.ExpectAsync<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(["db"], service.Strings("requires"));
        Assert.Equal("[\"cache\"]", new DatabaseProbe(app.DatabasePath).Scalar<string>("SELECT after_json FROM services"));
    }

    [Fact]
    public async Task Define_that_closes_a_cycle_with_stored_services_is_rejected_and_writes_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/a", new { requires = new[] { "b" }, actions = new[] { new { name = "x", script = "x" } } })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/b", new { after = new[] { "c" }, actions = new[] { new { name = "x", script = "x" } } })).ExpectAsync(HttpStatusCode.Created);
        var before = probe.RowCounts();

        var response = await client.PutJsonAsync("/api/services/c", new { requires = new[] { "a" }, actions = new[] { new { name = "x", script = "x" } } });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("a -> b -> c -> a", ProblemAssert.Text(problem));
        Assert.Equal(before, probe.RowCounts());
        Assert.Empty(probe.Query<string>("SELECT name FROM services WHERE name = 'c'"));
    }

    [Fact]
    public async Task Delete_removes_the_service_with_its_actions_and_a_second_delete_is_404()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/web", Web)).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/db", Specs.Service("postgres"))).ExpectAsync(HttpStatusCode.Created);

        var deleted = await client.DeleteAsync("/api/services/web");
        var again = await client.DeleteAsync("/api/services/web");

        await deleted.ExpectAsync(HttpStatusCode.NoContent);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/actions/web.serve"), HttpStatusCode.NotFound);
        Assert.Equal(["db"], probe.Query<string>("SELECT name FROM services"));
        Assert.Equal(["db.postgres"], probe.Query<string>("SELECT name FROM actions"));
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Delete_of_a_service_wanted_started_is_409_and_keeps_it_whole()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/web", Web)).ExpectAsync(HttpStatusCode.Created);
        await app.SetWantedStatusAsync("web", "start");
        var before = probe.RowCounts();

        var response = await client.DeleteAsync("/api/services/web");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("web", ProblemAssert.Text(problem));
        Assert.Equal(before, probe.RowCounts());
        Assert.Equal("start", (await client.GetJsonAsync("/api/services/web")).Str("wantedStatus"));
    }
}
