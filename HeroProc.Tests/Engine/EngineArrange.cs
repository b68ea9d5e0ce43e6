using System.Net;
using System.Net.ServerSentEvents;
using HeroProc.Api.Jobs;
using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>
/// Drives runs through the API as a client would and waits on their state with deadlines: submit,
/// wait until a run or job reaches a state, read a job's whole log following <c>next</c>.
/// </summary>
static class EngineArrange
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task<RunResponse> SubmitAsync(this HttpClient client, object body) =>
        await (await client.PostJsonAsync("/api/runs", body)).ExpectAsync<RunResponse>(HttpStatusCode.Created);

    public static async Task<RunResponse> GetRunAsync(this HttpClient client, long runId) =>
        await (await client.GetAsync($"/api/runs/{runId}")).ExpectAsync<RunResponse>(HttpStatusCode.OK);

    public static async Task<JobResponse> GetJobAsync(this HttpClient client, long jobId) =>
        await (await client.GetAsync($"/api/jobs/{jobId}")).ExpectAsync<JobResponse>(HttpStatusCode.OK);

    public static async Task<List<JobEventResponse>> EventsAsync(this HttpClient client, long jobId) =>
        await (await client.GetAsync($"/api/jobs/{jobId}/events")).ExpectAsync<List<JobEventResponse>>(HttpStatusCode.OK);

    public static JobResponse Job(this RunResponse run, string name) => run.Jobs.Single(j => j.Name == name);

    /// <summary>Submits the run and waits until it has finished.</summary>
    public static async Task<RunResponse> RunToEndAsync(this HttpClient client, object body, TimeSpan? timeout = null) =>
        await client.WaitForRunEndAsync((await client.SubmitAsync(body)).Id, timeout);

    public static Task<RunResponse> WaitForRunEndAsync(this HttpClient client, long runId, TimeSpan? timeout = null) =>
        client.WaitForRunAsync(runId, r => r.Status.IsFinished(), $"run {runId} has finished", timeout);

    public static async Task<RunResponse> WaitForRunAsync(this HttpClient client, long runId, Func<RunResponse, bool> condition,
        string what, TimeSpan? timeout = null)
    {
        RunResponse? run = null;
        await UntilAsync(async () => condition(run = await client.GetRunAsync(runId)), what, timeout, () => Describe(run));
        return run!;
    }

    public static async Task<JobResponse> WaitForJobAsync(this HttpClient client, long jobId, Func<JobResponse, bool> condition,
        string what, TimeSpan? timeout = null)
    {
        JobResponse? job = null;
        await UntilAsync(async () => condition(job = await client.GetJobAsync(jobId)), what, timeout, () => Describe(job));
        return job!;
    }

    /// <summary>Waits until the job's process exists: running, with a pid (= its process group).</summary>
    public static async Task<int> WaitForPidAsync(this HttpClient client, long jobId) =>
        (await client.WaitForJobAsync(jobId, j => j is { Status: JobStatus.Running, Pid: not null }, $"job {jobId} is running")).Pid!.Value;


    public static async Task<JobLogsResponse> LogsPageAsync(this HttpClient client, long jobId, long after = 0, int limit = 1000,
        string? stream = null) =>
        await (await client.GetAsync($"/api/jobs/{jobId}/logs?after={after}&limit={limit}{(stream is null ? "" : "&stream=" + stream)}"))
            .ExpectAsync<JobLogsResponse>(HttpStatusCode.OK);

    /// <summary>
    /// Every line of a finished job, page by page following <c>next</c>, up to the page that says
    /// <c>complete</c>. Checks the paging contract on the way: pages hold at most <paramref name="limit"/>
    /// lines with increasing seqs, <c>next</c> is the last seq returned (or <c>after</c> when none was).
    /// </summary>
    public static async Task<List<LogLineResponse>> AllLogsAsync(this HttpClient client, long jobId, string? stream = null, int limit = 10_000)
    {
        var lines = new List<LogLineResponse>();
        long after = 0;
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 10_000, "log paging does not end");
            var page = await client.LogsPageAsync(jobId, after, limit, stream);
            Assert.Equal(jobId, page.JobId);
            Assert.True(page.Lines.Count <= limit, $"a page holds at most {limit} lines");
            Assert.All(page.Lines, l => Assert.True(l.Seq > after, $"seq {l.Seq} is above after={after}"));
            Assert.Equal(page.Lines.Count > 0 ? page.Lines[^1].Seq : after, page.Next);
            lines.AddRange(page.Lines);
            if (page.Complete)
                break;
            Assert.True(page.Lines.Count > 0, $"a page of the finished job {jobId} after {after} is empty but not complete");
            after = page.Next;
        }
        for (var i = 1; i < lines.Count; i++)
            Assert.True(lines[i].Seq > lines[i - 1].Seq, "seqs increase");
        return lines;
    }

    public static List<string> Texts(this IEnumerable<LogLineResponse> lines, string stream) =>
        lines.Where(l => l.Stream == stream).Select(l => l.Text).ToList();

    /// <summary>Polls an asynchronous condition until it holds or the deadline passes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? lastSeen = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Deadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out waiting until {what}.{(lastSeen is null ? "" : " Last seen: " + lastSeen())}");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// The one kind of check that needs a window of time: that something does NOT happen. The condition
    /// must hold at every look during <paramref name="window"/>.
    /// </summary>
    public static async Task StaysAsync(Func<Task<bool>> condition, string what, TimeSpan window)
    {
        var end = DateTime.UtcNow + window;
        do
        {
            Assert.True(await condition(), $"Expected {what} throughout {window.TotalMilliseconds} ms.");
            await Task.Delay(20);
        } while (DateTime.UtcNow < end);
    }

    /// <summary>A directory for files the jobs and the test share; deleted with its contents afterwards.</summary>
    public static string SharedDir(this HeroProcApp app)
    {
        var dir = Path.Combine(app.DataDir, "shared-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Opens a <c>text/event-stream</c> and reads its events as they arrive.</summary>
    public static async Task<EventStream> OpenEventStreamAsync(this HttpClient client, string url, CancellationToken ct,
        string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync(ct);
        return new EventStream(response, SseParser.Create(body).EnumerateAsync(ct).GetAsyncEnumerator(ct));
    }

    static string Describe(RunResponse? run) => run is null ? "nothing" :
        $"run {run.Id} {run.Status}; " + string.Join(", ", run.Jobs.Select(Describe));

    static string Describe(JobResponse? job) => job is null ? "nothing" :
        $"{job.Name} {job.Status} attempt {job.Attempt} exit {job.ExitCode} signal {job.Signal} error {job.Error}";
}

/// <summary>An open event stream; disposing it closes the connection, which ends the request on the server.</summary>
sealed class EventStream(HttpResponseMessage response, IAsyncEnumerator<SseItem<string>> events) : IAsyncDisposable
{
    /// <summary>The next event, or null once the server has closed the stream.</summary>
    public async Task<SseItem<string>?> NextAsync() => await events.MoveNextAsync() ? events.Current : null;

    public async ValueTask DisposeAsync()
    {
        await events.DisposeAsync();
        response.Dispose();
    }
}
