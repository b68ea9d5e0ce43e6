using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>How a job's process ended, as recorded: exit code or signal, never confused; start failures as errors.</summary>
public class ExitStatusTests
{
    [Fact(Timeout = 60_000)]
    public async Task Exit_codes_and_signals_are_recorded_apart()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        var run = await client.RunToEndAsync(new
        {
            jobs = new object[]
            {
                new { name = "zero", script = "exit 0" },
                new { name = "three", script = "exit 3" },
                new { name = "max", script = "exit 255" },
                new { name = "killed", script = "kill -KILL $$" },
                new { name = "terminated", script = "kill -TERM $$" },
                new { name = "code143", script = "exit 143" },
            },
        });

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal((JobStatus.Succeeded, 0, (string?)null, (string?)null),
            (run.Job("zero").Status, run.Job("zero").ExitCode, run.Job("zero").Signal, run.Job("zero").Error));
        foreach (var (name, code) in new[] { ("three", 3), ("max", 255), ("code143", 143) })
        {
            var job = run.Job(name);
            Assert.Equal(JobStatus.Failed, job.Status);
            Assert.Equal(code, job.ExitCode);
            Assert.Null(job.Signal);
            Assert.Contains(code.ToString(), job.Error);
        }
        foreach (var (name, signal) in new[] { ("killed", "KILL"), ("terminated", "TERM") })
        {
            var job = run.Job(name);
            Assert.Equal(JobStatus.Failed, job.Status);
            Assert.Null(job.ExitCode);
            Assert.Equal(signal, job.Signal);
            Assert.Contains(signal, job.Error);
        }
        Assert.All(run.Jobs, j => Assert.True(j.Pid > 0, $"{j.Name} records the pid of its process"));
        Assert.All(run.Jobs, j => Assert.Equal(1, j.Attempt));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_missing_program_or_working_directory_fails_the_job_with_an_error_that_names_it()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var missingDir = Path.Combine(app.DataDir, "no-such-dir-" + Guid.NewGuid().ToString("N")[..8]);

        var run = await client.RunToEndAsync(new
        {
            jobs = new object[]
            {
                new { name = "noprogram", interpreter = "exec", script = "heroproc-no-such-program --flag" },
                new { name = "nocwd", script = "echo should not run", cwd = missingDir },
                new { name = "after", script = "echo fine", dependsOn = new[] { "noprogram" } },
                new { name = "alone", script = "echo fine" },
            },
        });

        var noProgram = run.Job("noprogram");
        Assert.Equal(JobStatus.Failed, noProgram.Status);
        Assert.Contains("heroproc-no-such-program", noProgram.Error);
        Assert.Null(noProgram.Signal);
        var noCwd = run.Job("nocwd");
        Assert.Equal(JobStatus.Failed, noCwd.Status);
        Assert.Contains(missingDir, noCwd.Error);
        Assert.Empty(await client.AllLogsAsync(noCwd.Id));
        Assert.Equal(JobStatus.Skipped, run.Job("after").Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("alone").Status);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.FinishedAt);
        // The server carries on: the next run works.
        Assert.Equal(RunStatus.Succeeded, (await client.RunToEndAsync(new { jobs = new[] { Specs.Job("next", "true") } })).Status);
    }
}
