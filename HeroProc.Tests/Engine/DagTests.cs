using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>Jobs start in dependency order, skips propagate, and a run's cap holds, as the processes themselves see it.</summary>
public class DagTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_diamond_runs_each_job_only_after_its_dependencies_ended()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        static object Step(string name, string sleep, params string[] dependsOn) =>
            new { name, script = $"echo {name}-start >> \"$D/order\"; sleep {sleep}; echo {name}-end >> \"$D/order\"", dependsOn };

        var run = await client.RunToEndAsync(new
        {
            env = new Dictionary<string, string> { ["D"] = dir },
            jobs = new[] { Step("d", "0", "b", "c"), Step("b", "0.3", "a"), Step("c", "0.1", "a"), Step("a", "0.2") },
        });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var order = File.ReadAllLines(Path.Combine(dir, "order")).ToList();
        Assert.Equal(8, order.Count);
        foreach (var (dependency, dependent) in new[] { ("a", "b"), ("a", "c"), ("b", "d"), ("c", "d") })
        {
            Assert.True(order.IndexOf($"{dependency}-end") < order.IndexOf($"{dependent}-start"),
                $"{dependent} started after {dependency} ended: {string.Join(", ", order)}");
            Assert.True(run.Job(dependent).StartedAt >= run.Job(dependency).FinishedAt,
                $"{dependent}.startedAt {run.Job(dependent).StartedAt:O} is not before {dependency}.finishedAt {run.Job(dependency).FinishedAt:O}");
        }
        AssertRunTimes(run);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failure_skips_its_dependents_across_three_levels_and_fails_the_run()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        static object Touch(string name, params string[] dependsOn) => new { name, script = $"touch \"$D/{name}\"", dependsOn };

        var run = await client.RunToEndAsync(new
        {
            env = new Dictionary<string, string> { ["D"] = dir },
            jobs = new[]
            {
                new { name = "a", script = "touch \"$D/a\"; exit 1", dependsOn = Array.Empty<string>() },
                Touch("b", "a"), Touch("c", "b"), Touch("d", "c", "e"), Touch("e"),
            },
        });

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(JobStatus.Failed, run.Job("a").Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("e").Status);
        foreach (var name in new[] { "b", "c", "d" })
        {
            var job = run.Job(name);
            Assert.Equal(JobStatus.Skipped, job.Status);
            Assert.Null(job.StartedAt);
            Assert.Null(job.Pid);
            Assert.NotNull(job.FinishedAt);
            Assert.False(File.Exists(Path.Combine(dir, name)), $"skipped job {name} never ran");
            Assert.Equal([JobStatus.Pending, JobStatus.Skipped], (await client.EventsAsync(job.Id)).Select(e => e.Status));
        }
        Assert.Equal(["a", "e"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        AssertRunTimes(run);
    }

    [Fact(Timeout = 60_000)]
    public async Task Max_parallel_is_never_exceeded_as_counted_by_the_jobs_themselves()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        File.WriteAllText(Path.Combine(dir, "count"), "0\n");
        File.WriteAllText(Path.Combine(dir, "max"), "0\n");
        // Each job counts itself in and out under a lock, and keeps the highest count it saw.
        const string script =
            """
            flock "$D/lock" sh -c 'n=$(($(cat "$D/count") + 1)); echo $n > "$D/count"; [ $n -gt $(cat "$D/max") ] && echo $n > "$D/max"; true'
            sleep 0.4
            flock "$D/lock" sh -c 'echo $(($(cat "$D/count") - 1)) > "$D/count"'
            """;

        var run = await client.RunToEndAsync(new
        {
            maxParallel = 2,
            env = new Dictionary<string, string> { ["D"] = dir },
            jobs = Enumerable.Range(1, 5).Select(i => new { name = $"j{i}", script }).ToArray(),
        });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        // Without the cap the global limit (2 × cores, at least 4 here) would let more run at once.
        Assert.Equal("2", File.ReadAllText(Path.Combine(dir, "max")).Trim());
        Assert.Equal("0", File.ReadAllText(Path.Combine(dir, "count")).Trim());
        var intervals = run.Jobs.Select(j => (Start: j.StartedAt!.Value, End: j.FinishedAt!.Value)).ToList();
        Assert.All(intervals, i => Assert.True(intervals.Count(o => o.Start <= i.Start && i.Start < o.End) <= 2,
            "at most 2 jobs of the run were running when one started, by the recorded times"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_run_is_pending_then_running_then_finished_with_its_times()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var dir = app.SharedDir();
        var gate = Path.Combine(dir, "go");

        var submitted = await client.SubmitAsync(new
        {
            jobs = new[] { Specs.Job("wait", $"while [ ! -e '{gate}' ]; do sleep 0.02; done"), Specs.Job("then", "true", "wait") },
        });
        var running = await client.WaitForRunAsync(submitted.Id, r => r.Status == RunStatus.Running, "the run is running");
        File.WriteAllText(gate, "");
        var finished = await client.WaitForRunEndAsync(submitted.Id);

        Assert.Equal(RunStatus.Pending, submitted.Status);
        Assert.Null(submitted.StartedAt);
        Assert.Null(submitted.FinishedAt);
        Assert.NotNull(running.StartedAt);
        Assert.Null(running.FinishedAt);
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal(running.StartedAt, finished.StartedAt);
        AssertRunTimes(finished);
    }

    /// <summary>A finished run started when its first job did and finished when its last job ended.</summary>
    static void AssertRunTimes(RunResponse run)
    {
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.FinishedAt);
        Assert.True(run.CreatedAt <= run.StartedAt && run.StartedAt <= run.FinishedAt, "createdAt <= startedAt <= finishedAt");
        Assert.Equal(run.Jobs.Where(j => j.StartedAt is not null).Min(j => j.StartedAt), run.StartedAt);
        Assert.Equal(run.Jobs.Max(j => j.FinishedAt), run.FinishedAt);
        Assert.All(run.Jobs, j => Assert.True(j.StartedAt is null || j.StartedAt <= j.FinishedAt, $"{j.Name} started before it finished"));
    }
}
