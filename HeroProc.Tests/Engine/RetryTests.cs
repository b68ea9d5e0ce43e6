using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace HeroProc.Tests.Engine;

/// <summary>Failed attempts are retried per the job's policy, each attempt recorded with its number, on the server's clock.</summary>
public class RetryTests
{
    /// <summary>Counts its own executions in a file, prints the count on both streams, and fails until the count reaches $PASS_AT.</summary>
    const string CountingScript =
        """
        n=$(($(cat "$D/count" 2>/dev/null || echo 0) + 1)); echo $n > "$D/count"
        echo "try $n attempt $HEROPROC_ATTEMPT"; echo "err $n" >&2
        [ $n -ge "$PASS_AT" ] || exit 7
        """;

    [Fact(Timeout = 60_000)]
    public async Task A_job_failing_until_its_third_attempt_succeeds_on_attempt_3_with_every_attempt_recorded()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();

        var run = await client.RunToEndAsync(Counting(dir, passAt: 3, new { maxAttempts = 3, delaySecs = 0 }));

        var job = run.Jobs[0];
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal((JobStatus.Succeeded, 3, 0, (string?)null), (job.Status, job.Attempt, job.ExitCode, job.Error));
        Assert.Equal("3", File.ReadAllText(Path.Combine(dir, "count")).Trim());
        var events = await client.EventsAsync(job.Id);
        Assert.Equal(
            [
                (JobStatus.Pending, 1), (JobStatus.Starting, 1), (JobStatus.Running, 1), (JobStatus.Retrying, 1),
                (JobStatus.Starting, 2), (JobStatus.Running, 2), (JobStatus.Retrying, 2),
                (JobStatus.Starting, 3), (JobStatus.Running, 3), (JobStatus.Succeeded, 3),
            ],
            events.Select(e => (e.Status, e.Attempt)));
        Assert.All(events.Where(e => e.Status == JobStatus.Retrying), e => Assert.Contains("7", e.Detail));
        var lines = await client.AllLogsAsync(job.Id);
        Assert.Equal(["try 1 attempt 1", "try 2 attempt 2", "try 3 attempt 3"], lines.Texts("stdout"));
        Assert.Equal(["err 1", "err 2", "err 3"], lines.Texts("stderr"));
        Assert.All(lines, l => Assert.Equal(int.Parse(l.Text.Split(' ')[1]), l.Attempt));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_job_failing_every_time_ends_failed_after_max_attempts()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();

        var run = await client.RunToEndAsync(Counting(dir, passAt: 99, new { maxAttempts = 3, delaySecs = 0 }));

        var job = run.Jobs[0];
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal((JobStatus.Failed, 3, 7), (job.Status, job.Attempt, job.ExitCode));
        Assert.Contains("7", job.Error);
        Assert.Equal("3", File.ReadAllText(Path.Combine(dir, "count")).Trim());
        var events = await client.EventsAsync(job.Id);
        Assert.Equal(2, events.Count(e => e.Status == JobStatus.Retrying));
        Assert.Equal((JobStatus.Failed, 3), (events[^1].Status, events[^1].Attempt));
    }

    [Fact(Timeout = 60_000)]
    public async Task Retries_wait_delay_times_backoff_on_the_servers_clock()
    {
        // Whole seconds: stored times have milliseconds, so exact comparisons below hold.
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        await using var app = new HeroProcApp(clock);
        var client = app.Client();
        var dir = app.SharedDir();
        var run = await client.SubmitAsync(Counting(dir, passAt: 99, new { maxAttempts = 3, delaySecs = 10, backoff = 2.0, maxDelaySecs = 600 }));
        var jobId = run.Jobs[0].Id;

        await client.WaitForJobAsync(jobId, j => j is { Status: JobStatus.Retrying, Attempt: 1 }, "attempt 1 failed");
        var failedAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(9.9));
        await SchedulerPassAsync(client);
        Assert.Equal((JobStatus.Retrying, 1), await StateAsync(client, jobId));
        clock.Advance(TimeSpan.FromSeconds(0.1));
        await client.WaitForJobAsync(jobId, j => j is { Status: JobStatus.Retrying, Attempt: 2 }, "attempt 2 ran after 10 s and failed");
        var secondFailedAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(19.9));
        await SchedulerPassAsync(client);
        Assert.Equal((JobStatus.Retrying, 2), await StateAsync(client, jobId));
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var job = await client.WaitForJobAsync(jobId, j => j.Status.IsFinished(), "attempt 3 ran after 20 more s");

        Assert.Equal((JobStatus.Failed, 3), (job.Status, job.Attempt));
        Assert.Equal("3", File.ReadAllText(Path.Combine(dir, "count")).Trim());
        var starts = (await client.EventsAsync(jobId)).Where(e => e.Status == JobStatus.Starting).ToList();
        Assert.Equal([1, 2, 3], starts.Select(e => e.Attempt));
        Assert.Equal(failedAt + TimeSpan.FromSeconds(10), starts[1].At);
        Assert.Equal(secondFailedAt + TimeSpan.FromSeconds(20), starts[2].At);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_timed_out_attempt_is_retried_and_the_last_one_ends_timed_out()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();

        var run = await client.RunToEndAsync(new
        {
            env = new Dictionary<string, string> { ["D"] = dir },
            jobs = new[]
            {
                new { name = "hangs", script = "echo x >> \"$D/count\"; exec sleep 1000", timeoutSecs = 1, stopTimeoutSecs = 1,
                      retry = new { maxAttempts = 2, delaySecs = 0 } },
            },
        });

        var job = run.Jobs[0];
        Assert.Equal((JobStatus.TimedOut, 2, "TERM"), (job.Status, job.Attempt, job.Signal));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "count")).Length);
        var events = await client.EventsAsync(job.Id);
        Assert.Equal([JobStatus.Retrying, JobStatus.TimedOut], events.Where(e => e.Status is JobStatus.Retrying or JobStatus.TimedOut).Select(e => e.Status));
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancelling_a_job_that_waits_to_retry_ends_it_cancelled_without_another_attempt()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        var run = await client.SubmitAsync(new
        {
            env = new Dictionary<string, string> { ["D"] = dir, ["PASS_AT"] = "99" },
            jobs = new object[]
            {
                new { name = "flaky", script = CountingScript, retry = new { maxAttempts = 5, delaySecs = 3600 } },
                new { name = "after", script = "true", dependsOn = new[] { "flaky" } },
            },
        });
        var jobId = run.Job("flaky").Id;
        await client.WaitForJobAsync(jobId, j => j.Status == JobStatus.Retrying, "attempt 1 failed");

        await (await client.PostAsync($"/api/jobs/{jobId}/cancel", null)).ExpectAsync(System.Net.HttpStatusCode.Accepted);
        var finished = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal((JobStatus.Cancelled, 1), (finished.Job("flaky").Status, finished.Job("flaky").Attempt));
        Assert.Equal(JobStatus.Skipped, finished.Job("after").Status);
        Assert.Equal(RunStatus.Failed, finished.Status);
        Assert.Equal("1", File.ReadAllText(Path.Combine(dir, "count")).Trim());
    }

    static object Counting(string dir, int passAt, object retry) => new
    {
        env = new Dictionary<string, string> { ["D"] = dir, ["PASS_AT"] = passAt.ToString() },
        jobs = new[] { new { name = "flaky", script = CountingScript, retry } },
    };

    static async Task<(JobStatus, int)> StateAsync(HttpClient client, long jobId)
    {
        var job = await client.GetJobAsync(jobId);
        return (job.Status, job.Attempt);
    }

    /// <summary>
    /// Proves the scheduler has looked at every job at the current clock: it claims ready jobs oldest first
    /// in one pass, so once a newer job it started has finished, an older due retry would have started too.
    /// </summary>
    static async Task SchedulerPassAsync(HttpClient client)
    {
        var probe = await client.RunToEndAsync(new { jobs = new[] { Specs.Job("probe", "true") } });
        Assert.Equal(RunStatus.Succeeded, probe.Status);
    }
}
