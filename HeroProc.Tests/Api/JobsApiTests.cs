using System.Net;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

public class JobsApiTests
{
    [Fact]
    public async Task List_is_newest_first_and_filters_by_run_status_and_action()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        var first = await client.SubmitAsync(new { actions = new[] { "build" }, jobs = new[] { Specs.Job("test", "make test", "build") } });
        var second = await client.SubmitAsync(new { actions = new[] { "build" } });
        var firstJobs = first.GetProperty("jobs").EnumerateArray().Select(j => j.Id()).ToList();
        var secondBuild = second.GetProperty("jobs")[0].Id();
        await app.ExecuteAsync("UPDATE jobs SET status = 'running' WHERE id = @id", new { id = firstJobs[1] });

        async Task<List<long>> Ids(string query) =>
            (await client.GetJsonAsync("/api/jobs" + query)).GetProperty("items").EnumerateArray().Select(j => j.Id()).ToList();

        Assert.Equal([secondBuild, firstJobs[1], firstJobs[0]], await Ids(""));
        Assert.Equal([firstJobs[1], firstJobs[0]], await Ids($"?runId={first.Id()}"));
        Assert.Equal([firstJobs[1]], await Ids("?status=running"));
        Assert.Equal([secondBuild, firstJobs[0]], await Ids("?status=pending"));
        Assert.Equal([secondBuild, firstJobs[0]], await Ids("?action=build"));
        Assert.Equal([firstJobs[0]], await Ids($"?action=build&runId={first.Id()}"));
        Assert.Empty(await Ids("?action=test"));
        Assert.Empty(await Ids("?runId=999999"));
    }

    [Fact]
    public async Task List_pages_with_a_cursor_visiting_every_job_exactly_once()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var runs = new List<JsonElement>();
        for (var i = 0; i < 4; i++)
            runs.Add(await client.SubmitAsync(Specs.Run(5)));
        var ids = runs.SelectMany(r => r.GetProperty("jobs").EnumerateArray().Select(j => j.Id())).ToList();

        var (all, pages) = await client.GetAllPagesAsync("/api/jobs", limit: 7);
        var (ofRun, runPages) = await client.GetAllPagesAsync($"/api/jobs?runId={runs[1].Id()}", limit: 2);

        Assert.Equal(ids.OrderDescending(), all.Select(j => j.Id()));
        Assert.Equal(3, pages);
        Assert.Equal(ids.Skip(5).Take(5).OrderDescending(), ofRun.Select(j => j.Id()));
        Assert.Equal(3, runPages);
    }

    [Fact]
    public async Task Get_returns_one_job_and_404_for_unknown_or_malformed_ids()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var run = await client.SubmitAsync(new { jobs = new[] { Specs.Job("a"), Specs.Job("b", "true", "a") } });
        var listed = run.GetProperty("jobs")[1];

        var job = await client.GetJsonAsync($"/api/jobs/{listed.Id()}");

        Assert.Equal(listed.GetRawText(), job.GetRawText());
        Assert.Equal("b", job.Str("name"));
        Assert.Equal(run.Id(), job.GetProperty("runId").GetInt64());
        Assert.Equal(["a"], job.Strings("dependsOn"));
        Assert.Equal("pending", job.Str("status"));
        ApiArrange.AssertTimestamp(job.GetProperty("createdAt"));
        foreach (var url in new[] { $"/api/jobs/{listed.Id() + 1}", "/api/jobs/-1", "/api/jobs/abc", "/api/jobs/abc/events" })
            await ProblemAssert.IsProblemAsync(await client.GetAsync(url), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Events_start_with_pending_at_the_jobs_creation()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var job = (await client.SubmitAsync(Specs.Run(2))).GetProperty("jobs")[1];

        var events = await client.GetJsonAsync($"/api/jobs/{job.Id()}/events");

        Assert.Equal(JsonValueKind.Array, events.ValueKind);
        var first = Assert.Single(events.EnumerateArray());
        Assert.Equal("pending", first.Str("status"));
        Assert.Equal(1, first.GetProperty("attempt").GetInt32());
        Assert.Equal(job.Str("createdAt"), first.Str("at"));
        ApiArrange.AssertTimestamp(first.GetProperty("at"));
        Assert.True(first.IsNull("detail"));
    }

    [Fact]
    public async Task Events_come_oldest_first()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var jobId = (await client.SubmitAsync(Specs.Run(1))).GetProperty("jobs")[0].Id();
        await app.ExecuteAsync(
            """
            INSERT INTO job_events (job_id, status, attempt, at, detail) VALUES
                (@jobId, 'starting', 1, '2030-01-01T00:00:00.000Z', NULL),
                (@jobId, 'running', 1, '2030-01-01T00:00:00.010Z', 'pid 1234')
            """, new { jobId });

        var events = await client.GetJsonAsync($"/api/jobs/{jobId}/events");

        Assert.Equal(["pending", "starting", "running"], events.EnumerateArray().Select(e => e.Str("status")));
        Assert.Equal("pid 1234", events[2].Str("detail"));
    }

    [Fact]
    public async Task Events_of_an_unknown_job_is_404()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await client.SubmitAsync(Specs.Run(1));

        var response = await client.GetAsync("/api/jobs/424242/events");

        Assert.Contains("424242", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound)));
    }
}
