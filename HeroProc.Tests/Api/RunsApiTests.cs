using System.Net;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

public class RunsApiTests
{
    [Fact]
    public async Task Submit_creates_the_run_its_jobs_and_their_first_events_together()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);

        var response = await client.PostJsonAsync("/api/runs", new
        {
            name = "ci",
            actions = new[] { "build" },
            jobs = new[] { Specs.Job("test", "make test", "build"), Specs.Job("lint", "make lint") },
            env = new Dictionary<string, string> { ["CI"] = "1" },
            maxParallel = 4,
            tags = new[] { "nightly" },
        });

        var run = await response.ExpectAsync<JsonElement>(HttpStatusCode.Created);
        Assert.Equal($"/api/runs/{run.Id()}", response.Headers.Location?.OriginalString);
        Assert.Equal("ci", run.Str("name"));
        Assert.Equal("pending", run.Str("status"));
        Assert.Equal(["nightly"], run.Strings("tags"));
        Assert.True(run.IsNull("service") && run.IsNull("schedule") && run.IsNull("retryOf"));
        Assert.True(run.IsNull("startedAt") && run.IsNull("finishedAt"));
        ApiArrange.AssertTimestamp(run.GetProperty("createdAt"));
        var jobs = run.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["build", "test", "lint"], jobs.Select(j => j.Str("name")));
        Assert.Equal("build", jobs[0].Str("action"));
        Assert.True(jobs[1].IsNull("action"));
        Assert.Equal(["build"], jobs[1].Strings("dependsOn"));
        Assert.All(jobs, job =>
        {
            Assert.Equal(run.Id(), job.GetProperty("runId").GetInt64());
            Assert.Equal("pending", job.Str("status"));
            Assert.Equal(1, job.GetProperty("attempt").GetInt32());
            Assert.True(job.IsNull("pid") && job.IsNull("exitCode") && job.IsNull("signal") && job.IsNull("error"));
            Assert.Equal(run.Str("createdAt"), job.Str("createdAt"));
        });
        var counts = probe.RowCounts();
        Assert.Equal((1, 3, 3), (counts["runs"], counts["jobs"], counts["job_events"]));
        Assert.Equal(["pending"], probe.Query<string>("SELECT DISTINCT status FROM job_events"));
        Assert.Equal("{\"CI\":\"1\"}", probe.Scalar<string>("SELECT env_json FROM runs"));
        Assert.Equal(4, probe.Scalar<long>("SELECT max_parallel FROM runs"));
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Submit_with_a_cycle_is_rejected_naming_the_cycle_and_writes_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);

        var response = await client.PostJsonAsync("/api/runs",
            new { jobs = new[] { Specs.Job("a", "true", "c"), Specs.Job("b", "true", "a"), Specs.Job("c", "true", "b") } });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("a -> c -> b -> a", ProblemAssert.Text(problem));
        Assert.All(probe.RowCounts(), table => Assert.Equal(0, table.Value));
    }

    [Fact]
    public async Task A_repeat_with_the_same_idempotency_key_and_body_returns_the_first_run()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        HttpRequestMessage Submit(string body) => new(HttpMethod.Post, "/api/runs")
        {
            Headers = { { "Idempotency-Key", "deploy-42" } },
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        var first = await (await client.SendAsync(Submit("""{"name":"deploy","jobs":[{"name":"a","script":"true"}]}""")))
            .ExpectAsync<JsonElement>(HttpStatusCode.Created);

        var repeat = await client.SendAsync(Submit("""{ "jobs": [ { "script": "true", "name": "a" } ], "name": "deploy" }"""));
        var different = await client.SendAsync(Submit("""{"name":"deploy","jobs":[{"name":"b","script":"true"}]}"""));

        var replayed = await repeat.ExpectAsync<JsonElement>(HttpStatusCode.OK);
        Assert.Equal(first.Id(), replayed.Id());
        var problem = await ProblemAssert.IsProblemAsync(different, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("deploy-42", ProblemAssert.Text(problem));
        Assert.Equal(1, probe.RowCounts()["runs"]);
        Assert.Equal(first.Id(), probe.Scalar<long>("SELECT run_id FROM idempotency_keys WHERE key = 'deploy-42'"));
    }

    [Fact]
    public async Task Get_returns_the_run_with_its_jobs_and_404_for_unknown_or_malformed_ids()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var submitted = await client.SubmitAsync(Specs.Run(2));

        var run = await client.GetJsonAsync($"/api/runs/{submitted.Id()}");

        Assert.Equal(submitted.GetRawText(), run.GetRawText());
        Assert.Equal(["j1", "j2"], run.GetProperty("jobs").EnumerateArray().Select(j => j.Str("name")));
        foreach (var url in new[] { $"/api/runs/{submitted.Id() + 1}", "/api/runs/0", "/api/runs/abc", "/api/runs/1.5" })
            await ProblemAssert.IsProblemAsync(await client.GetAsync(url), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_is_newest_first_and_paging_visits_every_run_exactly_once()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var ids = new List<long>();
        for (var i = 0; i < 53; i++)
            ids.Add(await client.SubmitIdAsync(Specs.Run(1)));

        var (items, pages) = await client.GetAllPagesAsync("/api/runs", limit: 5);
        var byDefault = await client.GetJsonAsync("/api/runs");
        var widest = await client.GetJsonAsync("/api/runs?limit=500");

        Assert.Equal(ids.OrderDescending(), items.Select(r => r.Id()));
        Assert.Equal(11, pages);
        Assert.Equal(ids.OrderDescending().Take(50), byDefault.GetProperty("items").EnumerateArray().Select(r => r.Id()));
        Assert.False(byDefault.IsNull("nextCursor"));
        Assert.Equal(53, widest.GetProperty("items").GetArrayLength());
        Assert.True(widest.IsNull("nextCursor"));
    }

    [Fact]
    public async Task List_items_carry_job_counts_by_status_instead_of_jobs()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var runId = await client.SubmitIdAsync(Specs.Run(3));
        await app.ExecuteAsync("UPDATE jobs SET status = 'running' WHERE id = (SELECT MIN(id) FROM jobs WHERE run_id = @runId)", new { runId });

        var item = (await client.GetJsonAsync("/api/runs")).GetProperty("items")[0];

        Assert.Equal(runId, item.Id());
        Assert.False(item.TryGetProperty("jobs", out _));
        var counts = item.GetProperty("jobCounts");
        Assert.Equal(2, counts.GetProperty("pending").GetInt32());
        Assert.Equal(1, counts.GetProperty("running").GetInt32());
        Assert.Equal(2, counts.EnumerateObject().Count());
    }

    [Fact]
    public async Task List_filters_by_status_service_schedule_tag_and_since()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var old = await client.SubmitIdAsync(Specs.Run(1));
        var failed = await client.SubmitIdAsync(Specs.Run(1));
        var ofService = await client.SubmitIdAsync(Specs.Run(1));
        var ofSchedule = await client.SubmitIdAsync(Specs.Run(1));
        var tagged = await client.SubmitIdAsync(new { jobs = new[] { Specs.Job("a") }, tags = new[] { "nightly", "x y" } });
        await app.FinishRunAsync(failed, "failed");
        await app.ExecuteAsync("UPDATE runs SET service = 'web' WHERE id = @ofService", new { ofService });
        await app.ExecuteAsync("UPDATE runs SET schedule = 'hourly' WHERE id = @ofSchedule", new { ofSchedule });
        await app.ExecuteAsync("UPDATE runs SET created_at = '2020-06-01T00:00:00.000Z' WHERE id IN (@old, @failed)", new { old, failed });

        async Task<List<long>> Ids(string query) =>
            (await client.GetJsonAsync("/api/runs?" + query)).GetProperty("items").EnumerateArray().Select(r => r.Id()).ToList();

        Assert.Equal([failed], await Ids("status=failed"));
        Assert.Equal([tagged, ofSchedule, ofService, old], await Ids("status=pending"));
        Assert.Equal([ofService], await Ids("service=web"));
        Assert.Equal([ofSchedule], await Ids("schedule=hourly"));
        Assert.Equal([tagged], await Ids("tag=nightly"));
        Assert.Equal([tagged], await Ids("tag=" + Uri.EscapeDataString("x y")));
        Assert.Empty(await Ids("tag=night"));
        Assert.Equal([tagged, ofSchedule, ofService], await Ids("since=2021-01-01T00:00:00.000Z"));
        Assert.Equal([tagged, ofSchedule, ofService, failed, old], await Ids("since=2020-06-01T00:00:00.000Z"));
        Assert.Equal([tagged, ofSchedule, ofService], await Ids("since=" + Uri.EscapeDataString("2020-06-01T02:00:00.001+02:00")));
        Assert.Empty(await Ids("service=web&status=failed"));
    }

    [Fact]
    public async Task List_with_a_filter_pages_through_matching_runs_only()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var tagged = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            var id = await client.SubmitIdAsync(new { jobs = new[] { Specs.Job("a") }, tags = new[] { i % 3 == 0 ? "keep" : "other" } });
            if (i % 3 == 0)
                tagged.Add(id);
        }

        var (items, pages) = await client.GetAllPagesAsync("/api/runs?tag=keep", limit: 3);

        Assert.Equal(tagged.OrderDescending(), items.Select(r => r.Id()));
        Assert.Equal(2, pages);
    }

    // Deleting runs: one by one, and in bulk with ?status=&before=.

    [Fact]
    public async Task Delete_of_a_finished_run_removes_it_with_its_jobs_events_and_idempotency_key()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs")
        {
            Headers = { { "Idempotency-Key", "once" } },
            Content = JsonContent(Specs.Run(3)),
        };
        var finished = (await (await client.SendAsync(request)).ExpectAsync<JsonElement>(HttpStatusCode.Created)).Id();
        var kept = await client.SubmitIdAsync(Specs.Run(2));
        await app.FinishRunAsync(finished, "failed");

        var response = await client.DeleteAsync($"/api/runs/{finished}");

        await response.ExpectAsync(HttpStatusCode.NoContent);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/runs/{finished}"), HttpStatusCode.NotFound);
        Assert.Equal([kept], probe.Query<long>("SELECT id FROM runs"));
        Assert.Equal([kept], probe.Query<long>("SELECT DISTINCT run_id FROM jobs"));
        var counts = probe.RowCounts();
        Assert.Equal((2, 2, 0), (counts["jobs"], counts["job_events"], counts["idempotency_keys"]));
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Delete_of_an_unfinished_run_is_409_and_keeps_it_whole()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var pending = await client.SubmitIdAsync(Specs.Run(2));
        var running = await client.SubmitIdAsync(Specs.Run(2));
        await app.ExecuteAsync("UPDATE runs SET status = 'running' WHERE id = @running", new { running });
        var before = probe.RowCounts();

        var pendingResponse = await client.DeleteAsync($"/api/runs/{pending}");
        var runningResponse = await client.DeleteAsync($"/api/runs/{running}");

        Assert.Contains("pending", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(pendingResponse, HttpStatusCode.Conflict)));
        Assert.Contains("running", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(runningResponse, HttpStatusCode.Conflict)));
        Assert.Equal(before, probe.RowCounts());
    }

    [Fact]
    public async Task Delete_of_an_unknown_or_malformed_id_is_404()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var runId = await client.SubmitIdAsync(Specs.Run(1));
        await app.FinishRunAsync(runId);
        await (await client.DeleteAsync($"/api/runs/{runId}")).ExpectAsync(HttpStatusCode.NoContent);

        var deletedTwice = await client.DeleteAsync($"/api/runs/{runId}");
        var malformed = await client.DeleteAsync("/api/runs/abc");

        Assert.Contains($"{runId}", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(deletedTwice, HttpStatusCode.NotFound)));
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bulk_delete_removes_every_finished_run_whole_across_batches_and_keeps_unfinished_ones()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var unfinished = new List<long>();
        for (var i = 0; i < 455; i++)
        {
            var runId = await client.SubmitIdAsync(Specs.Run(2));
            if (i % 91 == 0)
                unfinished.Add(runId);
            else
                await app.FinishRunAsync(runId, (i % 3) switch { 0 => "succeeded", 1 => "failed", _ => "cancelled" });
        }
        await app.ExecuteAsync("UPDATE runs SET status = 'running' WHERE id = @id", new { id = unfinished[0] });

        var response = await client.DeleteAsync($"/api/runs?before={Uri.EscapeDataString("2030-01-01T00:00:00Z")}");

        var body = await response.ExpectAsync<JsonElement>(HttpStatusCode.OK);
        Assert.Equal(450, body.GetProperty("deleted").GetInt32());
        Assert.Equal(unfinished, probe.Query<long>("SELECT id FROM runs ORDER BY id"));
        var counts = probe.RowCounts();
        Assert.Equal((10, 10), (counts["jobs"], counts["job_events"]));
        Assert.Empty(probe.Violations());
        var listed = (await client.GetJsonAsync("/api/runs")).GetProperty("items").EnumerateArray().Select(r => r.Id());
        Assert.Equal(unfinished.OrderDescending(), listed);
    }

    [Fact]
    public async Task Bulk_delete_by_status_and_before_deletes_only_the_runs_matching_both()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        async Task<long> Finished(string status, string finishedAt)
        {
            var id = await client.SubmitIdAsync(Specs.Run(1));
            await app.FinishRunAsync(id, status, finishedAt);
            return id;
        }
        var oldFailed = await Finished("failed", "2026-01-01T00:00:00.000Z");
        var newFailed = await Finished("failed", "2026-03-01T00:00:00.000Z");
        var oldSucceeded = await Finished("succeeded", "2026-01-01T00:00:00.000Z");
        var edgeFailed = await Finished("failed", "2026-02-01T00:00:00.000Z");
        var pending = await client.SubmitIdAsync(Specs.Run(1));

        var both = await client.DeleteAsync("/api/runs?status=failed&before=2026-02-01T00:00:00.000Z");
        var afterBoth = probe.Query<long>("SELECT id FROM runs ORDER BY id");
        var byStatus = await client.DeleteAsync("/api/runs?status=succeeded");

        Assert.Equal(1, (await both.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted").GetInt32());
        Assert.Equal([newFailed, oldSucceeded, edgeFailed, pending], afterBoth);
        Assert.DoesNotContain(oldFailed, afterBoth);
        Assert.Equal(1, (await byStatus.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted").GetInt32());
        Assert.Equal([newFailed, edgeFailed, pending], probe.Query<long>("SELECT id FROM runs ORDER BY id"));
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Bulk_delete_with_nothing_to_delete_answers_zero()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await client.SubmitIdAsync(Specs.Run(1));

        var response = await client.DeleteAsync("/api/runs?status=cancelled");

        Assert.Equal(0, (await response.ExpectAsync<JsonElement>(HttpStatusCode.OK)).GetProperty("deleted").GetInt32());
        Assert.Equal(1, probe.RowCounts()["runs"]);
    }

    static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body, HeroProc.Api.Http.ApiJson.Options), System.Text.Encoding.UTF8, "application/json");
}
