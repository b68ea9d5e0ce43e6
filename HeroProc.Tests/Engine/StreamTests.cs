using System.Net.ServerSentEvents;
using System.Text.Json;
using HeroProc.Api.Http;
using HeroProc.Api.Jobs;
using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>Server-sent events: a job's output while it runs, and the change feed with replay after a reconnect.</summary>
public class StreamTests
{
    [Fact(Timeout = 60_000)]
    public async Task The_log_stream_delivers_lines_as_the_job_prints_them_and_ends_with_the_job()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var gate = Path.Combine(app.SharedDir(), "go");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = await client.SubmitAsync(new
        {
            jobs = new[] { Specs.Job("gated", $"echo first; while [ ! -e '{gate}' ]; do sleep 0.02; done; echo second >&2") },
        });
        var jobId = run.Jobs[0].Id;

        await using var events = await client.OpenEventStreamAsync($"/api/jobs/{jobId}/logs/stream", timeout.Token);
        var first = await events.NextAsync();
        // The job is still waiting for the gate: this line came while it ran.
        Assert.Equal(JobStatus.Running, (await client.GetJobAsync(jobId)).Status);
        File.WriteAllText(gate, "");
        var second = await events.NextAsync();
        var end = await events.NextAsync();
        var after = await events.NextAsync();

        AssertLine(first, 1, "stdout", "first");
        AssertLine(second, 2, "stderr", "second");
        Assert.NotNull(end);
        Assert.Equal("end", end.Value.EventType);
        var ended = ApiJson.Deserialize<JobResponse>(end.Value.Data);
        Assert.Equal((jobId, JobStatus.Succeeded, 0), (ended.Id, ended.Status, ended.ExitCode));
        Assert.Null(after);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_log_stream_of_a_finished_job_sends_its_lines_then_ends_and_resumes_after_Last_Event_ID()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = await client.RunToEndAsync(new { jobs = new[] { Specs.Job("three", "echo a; echo b; echo c") } });
        var jobId = run.Jobs[0].Id;

        var all = await ReadToEndAsync(await client.OpenEventStreamAsync($"/api/jobs/{jobId}/logs/stream", timeout.Token));
        var resumed = await ReadToEndAsync(await client.OpenEventStreamAsync($"/api/jobs/{jobId}/logs/stream", timeout.Token, lastEventId: "2"));

        Assert.Equal(["line 1 a", "line 2 b", "line 3 c", "end"], all.Select(Describe));
        Assert.Equal(["line 3 c", "end"], resumed.Select(Describe));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_change_feed_sends_run_and_job_events_with_increasing_ids_and_replays_what_a_reconnect_missed()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.RunToEndAsync(new { jobs = new[] { Specs.Job("one", "true") } });

        // An id from before this server started (ids follow the clock, so they grow across restarts) is too old: reset.
        long seen;
        await using (var feed = await client.OpenEventStreamAsync("/api/events", timeout.Token, lastEventId: "0"))
        {
            var reset = await feed.NextAsync();
            Assert.Equal("reset", reset!.Value.EventType);
            seen = long.Parse(reset.Value.EventId!);
        }
        // Missed while disconnected.
        var second = await client.RunToEndAsync(new { jobs = new[] { Specs.Job("two", "true") } });
        await using var again = await client.OpenEventStreamAsync("/api/events", timeout.Token, lastEventId: seen.ToString());
        var missed = await ReadUntilAsync(again, c => c.IsRun(second.Id, "succeeded"));
        // Live, on the same connection.
        var third = await client.SubmitAsync(new { jobs = new[] { Specs.Job("three", "true") } });
        var live = await ReadUntilAsync(again, c => c.IsRun(third.Id, "succeeded"));

        AssertIdsFollow(missed, seen);
        AssertIdsFollow(live, missed[^1].Id);
        foreach (var (events, run) in new[] { (missed, second), (live, third) })
        {
            Assert.All(events, e => Assert.Contains(e.Type, new[] { "run", "job" }));
            Assert.All(events, e => Assert.Equal(run.Id, e.RunId));
            Assert.Contains(events, e => e.Type == "run" && e.Status == "pending" || e.Type == "run" && e.Status == "running");
            // Every change of the job is on the feed, in order, even for a job this short.
            Assert.Equal(["starting", "running", "succeeded"],
                events.Where(e => e.Type == "job" && e.Id2 == run.Jobs[0].Id).Select(e => e.Status).Distinct());
            // A run is sent without its jobs.
            Assert.All(events.Where(e => e.Type == "run"), e => Assert.False(e.Data.TryGetProperty("jobs", out _)));
        }
    }

    /// <summary>One change from /api/events: its id, type, the object's status and which run it belongs to.</summary>
    sealed record Change(long Id, string Type, JsonElement Data)
    {
        public string? Status => Data.GetProperty("status").GetString();
        public long Id2 => Data.GetProperty("id").GetInt64();
        public long RunId => Type == "run" ? Id2 : Data.GetProperty("runId").GetInt64();
        public bool IsRun(long runId, string status) => Type == "run" && Id2 == runId && Status == status;
    }

    static async Task<List<Change>> ReadUntilAsync(EventStream feed, Func<Change, bool> last)
    {
        var changes = new List<Change>();
        while (changes.Count == 0 || !last(changes[^1]))
        {
            var item = await feed.NextAsync();
            Assert.True(item is not null, "the change feed ended");
            changes.Add(new Change(long.Parse(item.Value.EventId!), item.Value.EventType, JsonDocument.Parse(item.Value.Data).RootElement));
        }
        return changes;
    }

    static void AssertIdsFollow(List<Change> changes, long previous) =>
        Assert.Equal(Enumerable.Range(1, changes.Count).Select(i => previous + i), changes.Select(c => c.Id));

    static async Task<List<SseItem<string>>> ReadToEndAsync(EventStream events)
    {
        var items = new List<SseItem<string>>();
        await using (events)
        {
            while (await events.NextAsync() is { } item)
                items.Add(item);
        }
        return items;
    }

    static string Describe(SseItem<string> item) => item.EventType == "line"
        ? $"line {item.EventId} {ApiJson.Deserialize<LogLineResponse>(item.Data).Text}"
        : item.EventType;

    static void AssertLine(SseItem<string>? item, long seq, string stream, string text)
    {
        Assert.NotNull(item);
        Assert.Equal("line", item.Value.EventType);
        Assert.Equal(seq.ToString(), item.Value.EventId);
        var line = ApiJson.Deserialize<LogLineResponse>(item.Value.Data);
        Assert.Equal((seq, stream, text, 1), (line.Seq, line.Stream, line.Text, line.Attempt));
    }
}
