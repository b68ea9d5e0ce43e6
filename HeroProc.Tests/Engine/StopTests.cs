using System.Net;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>
/// Timeout, cancel and the end of a job leave no process behind: not in the job's group, and not a
/// daemon that left it. Checked in /proc.
/// </summary>
public class StopTests
{
    /// <summary>A shell with two children in its group, all waiting for a long time.</summary>
    const string Family = "sleep 1000 & sleep 1000 & wait";

    [Fact(Timeout = 60_000)]
    public async Task A_timeout_stops_the_whole_group_and_says_after_how_long()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var run = await client.SubmitAsync(new { jobs = new[] { new { name = "slow", script = Family, timeoutSecs = 1, stopTimeoutSecs = 2 } } });
        var jobId = run.Jobs[0].Id;
        var group = await client.WaitForPidAsync(jobId);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 3, "the shell and its two sleeps are up");

        var job = await client.WaitForJobAsync(jobId, j => j.Status.IsFinished(), "the job timed out");

        Assert.Equal(JobStatus.TimedOut, job.Status);
        Assert.Matches(@"timed out after 1 ?(s|sec|second)", job.Error);
        Assert.Equal(RunStatus.Failed, (await client.GetRunAsync(run.Id)).Status);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 0, "no process of the group is left", TimeSpan.FromSeconds(5));
        Assert.Equal(JobStatus.TimedOut, (await client.EventsAsync(jobId))[^1].Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancelling_a_run_stops_the_whole_group_and_cancels_the_rest()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var run = await client.SubmitAsync(new
        {
            jobs = new object[]
            {
                new { name = "slow", script = Family, stopTimeoutSecs = 2 },
                new { name = "later", script = "true", dependsOn = new[] { "slow" } },
            },
        });
        var group = await client.WaitForPidAsync(run.Job("slow").Id);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 3, "the shell and its two sleeps are up");

        await (await client.PostAsync($"/api/runs/{run.Id}/cancel", null)).ExpectAsync(HttpStatusCode.Accepted);
        var finished = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal(RunStatus.Cancelled, finished.Status);
        Assert.Equal(JobStatus.Cancelled, finished.Job("slow").Status);
        Assert.Equal(JobStatus.Cancelled, finished.Job("later").Status);
        Assert.Null(finished.Job("later").StartedAt);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 0, "no process of the group is left", TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancelling_a_job_stops_its_group_and_skips_its_dependents()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var run = await client.SubmitAsync(new
        {
            jobs = new object[]
            {
                new { name = "slow", script = Family, stopTimeoutSecs = 2 },
                new { name = "later", script = "true", dependsOn = new[] { "slow" } },
                new { name = "other", script = "true" },
            },
        });
        var slow = run.Job("slow").Id;
        var group = await client.WaitForPidAsync(slow);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 3, "the shell and its two sleeps are up");

        await (await client.PostAsync($"/api/jobs/{slow}/cancel", null)).ExpectAsync(HttpStatusCode.Accepted);
        var finished = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal(JobStatus.Cancelled, finished.Job("slow").Status);
        Assert.Equal(JobStatus.Skipped, finished.Job("later").Status);
        Assert.Equal(JobStatus.Succeeded, finished.Job("other").Status);
        Assert.Equal(RunStatus.Failed, finished.Status);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 0, "no process of the group is left", TimeSpan.FromSeconds(5));
        await ProblemAssert.IsProblemAsync(await client.PostAsync($"/api/jobs/{slow}/cancel", null), HttpStatusCode.Conflict);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_double_forked_daemon_in_its_own_session_does_not_outlive_its_job()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        var marker = "heroproc-daemon-" + Guid.NewGuid().ToString("N");
        var gate = Path.Combine(dir, "go");
        // The daemon leaves the job's group and session, lets go of its output, and is re-parented away from the shell.
        // Only the daemon's command line holds the marker (the job's own has "$M").
        var script = "(setsid bash -c 'exec -a \"$M\" sleep 1000' </dev/null >/dev/null 2>&1 &); " +
                     $"echo started; while [ ! -e '{gate}' ]; do sleep 0.02; done";
        var run = await client.SubmitAsync(new
        {
            jobs = new[] { new { name = "daemonizes", interpreter = "bash", script, env = new Dictionary<string, string> { ["M"] = marker } } },
        });
        var jobId = run.Jobs[0].Id;
        try
        {
            var group = await client.WaitForPidAsync(jobId);
            await Eventually.TrueAsync(() => ProcessTable.LiveWithMarker(marker).Count == 1, "the daemon is up");
            var daemon = ProcessTable.LiveWithMarker(marker)[0];

            File.WriteAllText(gate, "");
            var job = await client.WaitForJobAsync(jobId, j => j.Status.IsFinished(), "the job ended");

            Assert.NotEqual(group, daemon.Group);
            Assert.NotEqual(ProcessTable.Find(group)?.Session ?? group, daemon.Session);
            Assert.Equal(JobStatus.Succeeded, job.Status);
            await Eventually.TrueAsync(() => ProcessTable.LiveWithMarker(marker).Count == 0, "the daemon is gone", TimeSpan.FromSeconds(5));
            Assert.Empty(ProcessTable.LiveInGroup(group));
        }
        finally
        {
            // Should the test fail, the daemon must not outlive it either.
            foreach (var leftover in ProcessTable.LiveWithMarker(marker))
                ProcessTable.Kill(leftover.Pid);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_job_that_ignores_its_stop_signal_is_killed_after_stopTimeoutSecs()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        // The shell and its children ignore TERM (an ignored signal stays ignored across fork and exec).
        var run = await client.SubmitAsync(new { jobs = new[] { new { name = "stubborn", script = "trap '' TERM; " + Family, stopTimeoutSecs = 1 } } });
        var jobId = run.Jobs[0].Id;
        var group = await client.WaitForPidAsync(jobId);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 3, "the shell and its two sleeps are up");

        await (await client.PostAsync($"/api/jobs/{jobId}/cancel", null)).ExpectAsync(HttpStatusCode.Accepted);
        var job = await client.WaitForJobAsync(jobId, j => j.Status.IsFinished(), "the job ended");

        Assert.Equal(JobStatus.Cancelled, job.Status);
        Assert.Equal("KILL", job.Signal);
        Assert.Null(job.ExitCode);
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(group).Count == 0, "no process of the group is left", TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancel_sends_the_jobs_stop_signal_to_its_group()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        // No trap anywhere: INT ends sleep only if its default disposition was restored; otherwise KILL comes after 5 s.
        var run = await client.SubmitAsync(new
        {
            jobs = new object[]
            {
                new { name = "exec", interpreter = "exec", script = "sleep 1000", stopSignal = "INT", stopTimeoutSecs = 5 },
                new { name = "sh", script = "sleep 1000 & wait", stopSignal = "INT", stopTimeoutSecs = 5 },
            },
        });
        var groups = new List<int>();
        foreach (var job in run.Jobs)
            groups.Add(await client.WaitForPidAsync(job.Id));
        await Eventually.TrueAsync(() => ProcessTable.LiveInGroup(groups[1]).Count == 2, "the shell and its sleep are up");

        foreach (var job in run.Jobs)
            await (await client.PostAsync($"/api/jobs/{job.Id}/cancel", null)).ExpectAsync(HttpStatusCode.Accepted);
        var finished = await client.WaitForRunEndAsync(run.Id, TimeSpan.FromSeconds(15));

        var exec = finished.Job("exec");
        Assert.Equal(JobStatus.Cancelled, exec.Status);
        Assert.Equal("INT", exec.Signal);
        Assert.Null(exec.ExitCode);
        // The shell dies of INT; its background sleep, which POSIX sh starts with INT ignored, goes when the job ends.
        var sh = finished.Job("sh");
        Assert.Equal(JobStatus.Cancelled, sh.Status);
        Assert.Equal("INT", sh.Signal);
        Assert.All(groups, g => Assert.Empty(ProcessTable.LiveInGroup(g)));
    }
}
