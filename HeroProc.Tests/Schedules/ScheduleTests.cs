using System.Net;
using System.Text.Json;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Tests.Api;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace HeroProc.Tests.Schedules;

public class ScheduleTests
{
    static object Schedule(string cron, string overlap = "allow", string misfire = "skip", string script = "true", string? timeZone = null) =>
        new { cron, timeZone, overlap, misfire, run = new { jobs = new[] { new { name = "tick", script } } } };

    static async Task<List<RunSummary>> RunsOfAsync(HttpClient client, string schedule) =>
        (await (await client.GetAsync($"/api/runs?schedule={schedule}&limit=500")).ReadAsync<Page<RunSummary>>()).Items.ToList();

    [Fact(Timeout = 60_000)]
    public async Task Bad_expressions_time_zones_and_runs_are_refused_and_write_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var before = probe.RowCounts();
        var cases = new (object Body, string Says)[]
        {
            (Schedule("not a cron"), "cron"),
            (Schedule("61 * * * *"), "cron"),
            (Schedule("* * * * * * *"), "cron"),
            (Schedule("0 0 30 2 *"), "never fires"),
            (Schedule("*/5 * * * *", timeZone: "Mars/Olympus"), "timeZone"),
            (Schedule("*/5 * * * *", timeZone: "America/"), "timeZone"),
            (new { cron = "*/5 * * * *", run = new { actions = new[] { "nope" } } }, "nope"),
            (new { cron = "*/5 * * * *" }, "run"),
            (new { cron = "*/5 * * * *", overlap = "sometimes", run = new { jobs = new[] { new { name = "a", script = "true" } } } }, "overlap"),
        };

        foreach (var (body, says) in cases)
        {
            var problem = await ProblemAssert.IsProblemAsync(await client.PutJsonAsync("/api/schedules/nightly", body), HttpStatusCode.BadRequest);
            Assert.Contains(says, ProblemAssert.Text(problem));
        }

        Assert.Equal(before, probe.RowCounts());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_schedule_is_stored_with_defaults_and_next_run_and_can_be_triggered_disabled_and_deleted()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:30Z"));
        await using var app = new HeroProcApp(clock, paused: true);
        var client = app.Client();

        var created = await (await client.PutJsonAsync("/api/schedules/nightly", new
        {
            cron = "0 2 * * *", timeZone = "Europe/Brussels", run = new { jobs = new[] { new { name = "backup", script = "true" } } },
        })).ExpectAsync<JsonElement>(HttpStatusCode.Created);
        var triggered = await (await client.PostAsync("/api/schedules/nightly/trigger", null)).ExpectAsync<RunResponse>(HttpStatusCode.Created);
        var afterTrigger = await (await client.GetAsync("/api/schedules/nightly")).ExpectAsync<JsonElement>(HttpStatusCode.OK);
        var disabled = await (await client.PutJsonAsync("/api/schedules/nightly", new
        {
            cron = "0 2 * * *", enabled = false, run = new { jobs = new[] { new { name = "backup", script = "true" } } },
        })).ExpectAsync<JsonElement>(HttpStatusCode.OK);
        var whileDisabled = await (await client.PostAsync("/api/schedules/nightly/trigger", null)).ExpectAsync<RunResponse>(HttpStatusCode.Created);

        Assert.Equal(("Europe/Brussels", true, "skip", "skip"), (created.GetProperty("timeZone").GetString(), created.GetProperty("enabled").GetBoolean(),
            created.GetProperty("overlap").GetString(), created.GetProperty("misfire").GetString()));
        Assert.Equal("2026-11-29T01:00:00.000Z", created.GetProperty("nextRunAt").GetString()); // 02:00 in Brussels (UTC+1)
        Assert.Equal("nightly", triggered.Schedule);
        Assert.Equal(triggered.Id, afterTrigger.GetProperty("lastRunId").GetInt64());
        Assert.Equal(JsonValueKind.Null, disabled.GetProperty("nextRunAt").ValueKind);
        Assert.Equal(whileDisabled.Id, (await (await client.GetAsync("/api/schedules/nightly")).ReadAsync<JsonElement>()).GetProperty("lastRunId").GetInt64());
        Assert.Equal([whileDisabled.Id, triggered.Id], (await RunsOfAsync(client, "nightly")).Select(r => r.Id));
        await (await client.DeleteAsync("/api/schedules/nightly")).ExpectAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync("/api/schedules/nightly")).ExpectAsync(HttpStatusCode.NotFound);
    }

    [Fact(Timeout = 60_000)]
    public async Task Deleting_an_action_a_schedule_runs_is_a_409_naming_the_schedule()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/actions/backup", new { script = "true" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/schedules/nightly", new { cron = "0 2 * * *", run = new { actions = new[] { "backup" } } }))
            .ExpectAsync(HttpStatusCode.Created);

        var problem = await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/api/actions/backup"), HttpStatusCode.Conflict);

        Assert.Contains("nightly", ProblemAssert.Text(problem));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_every_second_schedule_creates_one_run_per_tick_without_duplicates_or_gaps()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        await (await client.PutJsonAsync("/api/schedules/pulse", Schedule("* * * * * *"))).ExpectAsync(HttpStatusCode.Created);
        await EngineArrange.UntilAsync(async () => (await RunsOfAsync(client, "pulse")).Count >= 4, "four ticks fired");
        await (await client.DeleteAsync("/api/schedules/pulse")).ExpectAsync(HttpStatusCode.NoContent);

        var seconds = (await RunsOfAsync(client, "pulse")).Select(r => r.CreatedAt.ToUnixTimeSeconds()).Order().ToList();
        Assert.Equal(seconds.Count, seconds.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, seconds.Count).Select(i => seconds[0] + i), seconds);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_overlap_skip_the_ticks_that_come_while_a_run_is_unfinished_create_nothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        await using var app = new HeroProcApp(clock);
        var client = app.Client();
        var gate = Path.Combine(app.DataDir, "gate");

        await (await client.PutJsonAsync("/api/schedules/long", Schedule("* * * * * *", overlap: "skip", script: $"while [ ! -e {gate} ]; do sleep 0.05; done")))
            .ExpectAsync(HttpStatusCode.Created);
        await AdvanceUntilAsync(clock, async () => (await RunsOfAsync(client, "long")).Count == 1, "the first tick ran");
        var first = (await RunsOfAsync(client, "long"))[0];
        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(100);
        }
        var duringOverlap = (await RunsOfAsync(client, "long")).Count;
        await File.WriteAllTextAsync(gate, "");
        await client.WaitForRunEndAsync(first.Id);
        await AdvanceUntilAsync(clock, async () => (await RunsOfAsync(client, "long")).Count == 2, "a tick after the run ended ran");

        Assert.Equal(1, duringOverlap);
    }

    [Fact(Timeout = 60_000)]
    public async Task Misfire_run_once_after_a_five_minute_downtime_creates_exactly_one_run_and_skip_creates_none()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:30Z"));
        await using var app = new HeroProcApp(clock, paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/schedules/once", Schedule("* * * * *", misfire: "run-once"))).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/schedules/never", Schedule("* * * * *", misfire: "skip"))).ExpectAsync(HttpStatusCode.Created);

        // As if the server had been down since 09:54: the ticks of 09:55 to 10:00 all came before this server started.
        await app.ExecuteAsync("UPDATE schedules SET last_tick_at = '2026-11-28T09:54:00.000Z'");
        await (await client.PutJsonAsync("/api/schedules/wake", Schedule("0 0 1 1 *"))).ExpectAsync(HttpStatusCode.Created);
        await EngineArrange.UntilAsync(async () => (await (await client.GetAsync("/api/schedules/never")).ReadAsync<JsonElement>())
            .GetProperty("nextRunAt").GetString() == "2026-11-28T10:01:00.000Z", "the missed ticks were handled");
        await EngineArrange.UntilAsync(async () => (await RunsOfAsync(client, "once")).Count >= 1, "run-once fired");

        Assert.Single(await RunsOfAsync(client, "once"));
        Assert.Empty(await RunsOfAsync(client, "never"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_tick_whose_run_no_longer_validates_is_skipped_and_recorded_as_last_error()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        await using var app = new HeroProcApp(clock, paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/secrets/TOKEN", new { value = "secret-value" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/schedules/guarded", new
        {
            cron = "* * * * * *", run = new { jobs = new[] { new { name = "a", script = "true", secrets = new[] { "TOKEN" } } } },
        })).ExpectAsync(HttpStatusCode.Created);
        await (await client.DeleteAsync("/api/secrets/TOKEN")).ExpectAsync(HttpStatusCode.NoContent);

        JsonElement schedule = default;
        await AdvanceUntilAsync(clock, async () =>
            (schedule = await (await client.GetAsync("/api/schedules/guarded")).ReadAsync<JsonElement>()).GetProperty("lastError").ValueKind == JsonValueKind.String,
            "a tick recorded its refusal");

        Assert.Contains("TOKEN", schedule.GetProperty("lastError").GetString());
        Assert.Empty(await RunsOfAsync(client, "guarded"));
    }

    /// <summary>Moves the fake clock a second at a time until the condition holds (the runner sleeps on that clock).</summary>
    static async Task AdvanceUntilAsync(FakeTimeProvider clock, Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(100);
        }
    }
}
