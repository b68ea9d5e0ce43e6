using System.Diagnostics;
using HeroProc.Api.Supervision;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Supervision;

/// <summary>Ended attempts' state files are emptied and reused by the next attempts: no inode created or freed per job.</summary>
public sealed class SpareFilesTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("heroproc-spare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_kept_file_is_emptied_and_placed_for_the_next_attempt_as_the_same_inode()
    {
        var spares = new SpareFiles(_dir);
        var ended = Path.Combine(_dir, "1-1.state");
        File.WriteAllText(ended, "shim 10 20\njob 11 21\nexit 0\n");
        var inode = Inode(ended);

        spares.Keep(ended);
        var placed = spares.TryPlace(Path.Combine(_dir, "2-1.state"));
        var noneLeft = spares.TryPlace(Path.Combine(_dir, "3-1.state"));

        Assert.False(File.Exists(ended));
        Assert.True(placed);
        Assert.Equal(inode, Inode(Path.Combine(_dir, "2-1.state")));
        Assert.Equal("", File.ReadAllText(Path.Combine(_dir, "2-1.state")));
        Assert.False(noneLeft);
        Assert.False(File.Exists(Path.Combine(_dir, "3-1.state")));
    }

    [Fact]
    public void Spares_found_at_start_are_emptied_again()
    {
        // Nothing is synced: after a power cut, a spare may show the lines it had before it was emptied.
        Directory.CreateDirectory(Path.Combine(_dir, "spare"));
        File.WriteAllText(Path.Combine(_dir, "spare", "7"), "shim 10 20\nexit 0\n");

        var spares = new SpareFiles(_dir);
        var placed = spares.TryPlace(Path.Combine(_dir, "1-1.state"));

        Assert.True(placed);
        Assert.Equal("", File.ReadAllText(Path.Combine(_dir, "1-1.state")));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_later_job_takes_the_state_file_of_an_ended_one_and_gets_its_own_status()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var spare = Path.Combine(app.DataDir, "spare");

        var first = await client.RunToEndAsync(new { jobs = new[] { new { name = "a", script = "exit 0" } } });
        // Kept once its end has committed, a moment after the run shows finished.
        await EngineArrange.UntilAsync(() => Task.FromResult(Directory.Exists(spare) && Directory.GetFiles(spare).Length == 1), "a spare is kept");
        var inode = Inode(Directory.GetFiles(spare)[0]);
        var second = await client.RunToEndAsync(new { jobs = new[] { new { name = "b", script = "exit 3" } } });
        await EngineArrange.UntilAsync(() => Task.FromResult(Directory.GetFiles(Path.Combine(app.DataDir, "attempts")).Length == 0), "b's state file is kept");

        Assert.Equal(JobStatus.Succeeded, first.Job("a").Status);
        Assert.Equal((JobStatus.Failed, 3), (second.Job("b").Status, second.Job("b").ExitCode));
        // One spare, the same inode: b took a's file and gave it back, it did not create one of its own.
        Assert.Equal([inode], Directory.GetFiles(spare).Select(Inode));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_working_directory_left_empty_is_reused_and_one_with_files_stays()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var spare = Path.Combine(app.DataDir, "spare");

        var empty = await client.RunToEndAsync(new { jobs = new[] { new { name = "a", script = "pwd -P" } } });
        await EngineArrange.UntilAsync(() => Task.FromResult(Directory.Exists(spare) && Directory.GetDirectories(spare).Length == 1), "the empty directory is kept");
        var inode = Inode(Directory.GetDirectories(spare)[0]);
        var writer = await client.RunToEndAsync(new { jobs = new[] { new { name = "b", script = "pwd -P; echo kept > made-here" } } });
        var writerDir = Path.Combine(app.DataDir, "work", writer.Job("b").Id.ToString());

        Assert.False(Directory.Exists(Path.Combine(app.DataDir, "work", empty.Job("a").Id.ToString())));
        Assert.Equal(inode, Inode(writerDir));
        Assert.Equal([writerDir], (await client.AllLogsAsync(writer.Job("b").Id)).Texts("stdout"));
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(writerDir, "made-here")));
        // The attempt's state file is kept after the directory was looked at: once it is, the directory has stayed.
        await EngineArrange.UntilAsync(() => Task.FromResult(Directory.GetFiles(Path.Combine(app.DataDir, "attempts")).Length == 0), "b's state file is kept");
        Assert.True(Directory.Exists(writerDir));
        Assert.Empty(Directory.GetDirectories(spare));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_empty_directory_whose_mode_the_job_changed_or_a_link_in_its_place_is_not_reused()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var target = Directory.CreateDirectory(Path.Combine(app.DataDir, "elsewhere")).FullName;

        var run = await client.RunToEndAsync(new
        {
            jobs = new[]
            {
                new { name = "chmod", script = "chmod 0705 ." },  // a mode no umask gives the parent
                new { name = "link", script = $"dir=$(pwd -P); cd / && rmdir \"$dir\" && ln -s {target} \"$dir\"" },
            },
        });
        await EngineArrange.UntilAsync(() => Task.FromResult(Directory.GetFiles(Path.Combine(app.DataDir, "attempts")).Length == 0), "the state files are kept");

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(Directory.Exists(Path.Combine(app.DataDir, "work", run.Job("chmod").Id.ToString())));
        Assert.NotNull(new DirectoryInfo(Path.Combine(app.DataDir, "work", run.Job("link").Id.ToString())).LinkTarget);
        Assert.False(Directory.Exists(Path.Combine(app.DataDir, "spare")) && Directory.GetDirectories(Path.Combine(app.DataDir, "spare")).Length > 0);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_job_retried_at_once_keeps_its_working_directory_for_every_attempt()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        const int attempts = 25;

        // Nothing is left in the directory, so it would be reused if the job's end were taken for its last.
        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { new { name = "flaky", script = "echo \"attempt $HEROPROC_ATTEMPT in $(pwd -P)\"; exit 4", retry = new { maxAttempts = attempts, delaySecs = 0 } } },
        });

        var job = run.Job("flaky");
        var workDir = Path.Combine(app.DataDir, "work", job.Id.ToString());
        Assert.Equal((JobStatus.Failed, attempts, 4), (job.Status, job.Attempt, job.ExitCode));
        Assert.Equal(Enumerable.Range(1, attempts).Select(n => $"attempt {n} in {workDir}"), (await client.AllLogsAsync(job.Id)).Texts("stdout"));
    }

    static string Inode(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return inode;
    }
}
