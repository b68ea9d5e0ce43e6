using System.Net;
using System.Text.Json;
using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>Pause and resume, and the run routes that act on real executions: cancel and retry.</summary>
public class PauseAndRunRoutesTests
{
    [Fact(Timeout = 60_000)]
    public async Task While_paused_a_running_job_carries_on_and_a_new_run_stays_pending_until_resume()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        var gate = Path.Combine(dir, "go");
        var earlier = await client.SubmitAsync(new { jobs = new[] { Specs.Job("busy", $"while [ ! -e '{gate}' ]; do sleep 0.02; done") } });
        await client.WaitForPidAsync(earlier.Jobs[0].Id);

        await (await client.PostAsync("/api/system/pause", null)).ExpectAsync(HttpStatusCode.Accepted);
        var paused = await client.SubmitAsync(new
        {
            env = new Dictionary<string, string> { ["D"] = dir },
            jobs = new[] { Specs.Job("later", "touch \"$D/ran\"") },
        });
        File.WriteAllText(gate, "");
        var carriedOn = await client.WaitForRunEndAsync(earlier.Id);
        await EngineArrange.StaysAsync(async () => (await client.GetRunAsync(paused.Id)).Status == RunStatus.Pending,
            "the run submitted while paused stays pending", TimeSpan.FromMilliseconds(500));
        var info = JsonDocument.Parse(await client.GetStringAsync("/api/system")).RootElement;
        await (await client.PostAsync("/api/system/resume", null)).ExpectAsync(HttpStatusCode.Accepted);
        var resumed = await client.WaitForRunEndAsync(paused.Id);

        Assert.Equal(RunStatus.Succeeded, carriedOn.Status);
        Assert.True(info.GetProperty("paused").GetBoolean());
        Assert.Equal(RunStatus.Succeeded, resumed.Status);
        Assert.True(File.Exists(Path.Combine(dir, "ran")));
        Assert.True(resumed.StartedAt > carriedOn.FinishedAt, "the paused run started only after the resume");
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancel_of_a_finished_run_or_job_is_409_and_changes_nothing()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var run = await client.RunToEndAsync(new { jobs = new[] { Specs.Job("done", "true") } });

        var runCancel = await client.PostAsync($"/api/runs/{run.Id}/cancel", null);
        var jobCancel = await client.PostAsync($"/api/jobs/{run.Jobs[0].Id}/cancel", null);

        await ProblemAssert.IsProblemAsync(runCancel, HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(jobCancel, HttpStatusCode.Conflict);
        var after = await client.GetRunAsync(run.Id);
        Assert.Equal((RunStatus.Succeeded, JobStatus.Succeeded), (after.Status, after.Jobs[0].Status));
    }

    [Fact(Timeout = 60_000)]
    public async Task Retry_of_a_failed_run_reruns_only_its_failed_and_skipped_jobs_without_the_succeeded_dependencies()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        var fixedFile = Path.Combine(dir, "fixed");
        // Each job appends its name to a file when it runs; "b" fails until the test fixes it.
        static string Mark(string name) => $"echo {name} >> \"$D/ran\"";
        var original = await client.RunToEndAsync(new
        {
            name = "ci",
            tags = new[] { "nightly" },
            env = new Dictionary<string, string> { ["D"] = dir },
            jobs = new object[]
            {
                new { name = "a", script = Mark("a") },
                new { name = "b", script = Mark("b") + $"; [ -e '{fixedFile}' ]", dependsOn = new[] { "a" } },
                new { name = "c", script = Mark("c"), dependsOn = new[] { "b", "a" } },
                new { name = "d", script = Mark("d") },
            },
        });
        Assert.Equal(RunStatus.Failed, original.Status);
        Assert.Equal([JobStatus.Succeeded, JobStatus.Failed, JobStatus.Skipped, JobStatus.Succeeded],
            original.Jobs.OrderBy(j => j.Name).Select(j => j.Status));
        File.WriteAllText(fixedFile, "");

        var response = await client.PostAsync($"/api/runs/{original.Id}/retry", null);
        var retry = await response.ExpectAsync<RunResponse>(HttpStatusCode.Created);
        var finished = await client.WaitForRunEndAsync(retry.Id);

        Assert.Equal($"/api/runs/{retry.Id}", response.Headers.Location?.OriginalString);
        Assert.NotEqual(original.Id, retry.Id);
        Assert.Equal(original.Id, retry.RetryOf);
        Assert.Equal("ci", retry.Name);
        Assert.Equal(["nightly"], retry.Tags);
        Assert.Equal(dir, retry.Env["D"]);
        Assert.Equal(["b", "c"], retry.Jobs.Select(j => j.Name).Order());
        Assert.Empty(retry.Job("b").DependsOn);
        Assert.Equal(["b"], retry.Job("c").DependsOn);
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal(["a", "b", "b", "c", "d"], File.ReadAllLines(Path.Combine(dir, "ran")).Order());
        // The original is left as it was.
        Assert.Equal(RunStatus.Failed, (await client.GetRunAsync(original.Id)).Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Retry_of_a_succeeded_or_unfinished_run_is_409()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var gate = Path.Combine(app.SharedDir(), "go");
        var succeeded = await client.RunToEndAsync(new { jobs = new[] { Specs.Job("ok", "true") } });
        var running = await client.SubmitAsync(new { jobs = new[] { Specs.Job("busy", $"while [ ! -e '{gate}' ]; do sleep 0.02; done") } });
        await client.WaitForPidAsync(running.Jobs[0].Id);

        var ofSucceeded = await client.PostAsync($"/api/runs/{succeeded.Id}/retry", null);
        var ofRunning = await client.PostAsync($"/api/runs/{running.Id}/retry", null);
        File.WriteAllText(gate, "");

        await ProblemAssert.IsProblemAsync(ofSucceeded, HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(ofRunning, HttpStatusCode.Conflict);
        Assert.Equal(RunStatus.Succeeded, (await client.WaitForRunEndAsync(running.Id)).Status);
        var all = JsonDocument.Parse(await client.GetStringAsync("/api/runs")).RootElement.GetProperty("items");
        Assert.Equal(2, all.GetArrayLength());
    }
}
