using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

/// <summary>A job left <c>starting</c> by a crash is resolved from its shim's files, and never runs twice.</summary>
public class StartingRecoveryTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_job_claimed_but_never_spawned_runs_once_after_the_restart()
    {
        await using var server = new ServerProcess();
        var (run, file) = await SubmitAndCrashAsync(server);
        // The crash came between the 'starting' commit and the spawn.
        await server.ExecuteSqlAsync("UPDATE jobs SET status = 'starting' WHERE id = @Id", run.Jobs[0]);

        await server.StartAsync();
        var ended = await server.Client.WaitForRunEndAsync(run.Id);

        Assert.Equal(JobStatus.Succeeded, ended.Jobs[0].Status);
        Assert.Equal(["ran"], await File.ReadAllLinesAsync(file));
        Assert.Contains((await server.Client.EventsAsync(run.Jobs[0].Id)), e => e.Detail == "not started: the server stopped first");
    }

    [Fact(Timeout = 120_000)]
    public async Task A_job_spawned_before_running_was_committed_is_adopted_not_started_again()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var file = Path.Combine(server.DataDir, "ran.txt");
        var run = await server.Client.SubmitAsync(new { jobs = new[] { new { name = "once", script = $"echo ran >> {file}; sleep 2; echo end" } } });
        await server.Client.WaitForPidAsync(run.Jobs[0].Id);
        await server.KillAsync();
        // The crash came after the spawn, before 'running' was committed: only the shim's files know the processes.
        await server.ExecuteSqlAsync("UPDATE jobs SET status = 'starting', pid = NULL, pid_start_time = NULL, shim_pid = NULL, shim_start_time = NULL WHERE id = @Id", run.Jobs[0]);

        await server.StartAsync();
        var ended = await server.Client.WaitForRunEndAsync(run.Id);

        Assert.Equal((JobStatus.Succeeded, 1), (ended.Jobs[0].Status, ended.Jobs[0].Attempt));
        Assert.Equal(["ran"], await File.ReadAllLinesAsync(file));
        Assert.Equal(["end"], (await server.Client.AllLogsAsync(ended.Jobs[0].Id)).Select(l => l.Text));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_job_claimed_before_a_reboot_is_lost_whatever_its_state_file_says()
    {
        await using var server = new ServerProcess();
        var (run, file) = await SubmitAndCrashAsync(server);
        // Claimed in an earlier boot; its state file, never synced, came back after the power cut with an older attempt's lines.
        await server.ExecuteSqlAsync("UPDATE jobs SET status = 'starting', boot_id = 'an-earlier-boot' WHERE id = @Id", run.Jobs[0]);
        Directory.CreateDirectory(Path.Combine(server.DataDir, "attempts"));
        await File.WriteAllTextAsync(Path.Combine(server.DataDir, "attempts", $"{run.Jobs[0].Id}-1.state"), "shim 1 1\njob 2 2\nexit 0\n");

        await server.StartAsync();
        var ended = await server.Client.WaitForRunEndAsync(run.Id);

        Assert.Equal(JobStatus.Failed, ended.Jobs[0].Status);
        Assert.Contains("machine restarted", ended.Jobs[0].Error);
        Assert.False(File.Exists(file));
    }

    /// <summary>A paused server takes a job that appends to a file, then is killed; the next start is unpaused.</summary>
    static async Task<(RunResponse Run, string File)> SubmitAndCrashAsync(ServerProcess server)
    {
        await server.StartAsync();
        var file = Path.Combine(server.DataDir, "ran.txt");
        await server.Client.PostAsync("/api/system/pause", null);
        var run = await server.Client.SubmitAsync(new { jobs = new[] { new { name = "once", script = $"echo ran >> {file}" } } });
        await server.KillAsync();
        await server.ExecuteSqlAsync("UPDATE settings SET value = 'false' WHERE key = 'paused'");
        return (run, file);
    }
}
