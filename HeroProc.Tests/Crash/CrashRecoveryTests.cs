using System.Diagnostics;
using System.Net;
using System.Text.Json;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

/// <summary>
/// The real server as a child process, killed with SIGKILL and started again on the same data: jobs
/// carry on, are re-adopted with their output and exit status, and nothing is lost or orphaned.
/// </summary>
public class CrashRecoveryTests
{
    [Fact(Timeout = 120_000)]
    public async Task Jobs_running_across_a_kill_9_end_with_their_exit_status_and_complete_output()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var marker = Path.Combine(server.DataDir, "appended.txt");
        // The jobs wait for this file, created once the new server runs: however slowly the server
        // comes back, they are still running then, and are adopted rather than found ended.
        var go = Path.Combine(server.DataDir, "go");
        var waitForGo = $"while [ ! -e {go} ]; do sleep 0.05; done";
        var run = await client.SubmitAsync(new
        {
            jobs = new object[]
            {
                new { name = "slow", script = $"{waitForGo}; echo done; exit 7" },
                new { name = "chatty", script = $"i=1; while [ $i -le 3000 ]; do echo line $i; i=$((i+1)); if [ $i -eq 1500 ]; then {waitForGo}; fi; done" },
                new { name = "append", script = $"echo once >> {marker}; {waitForGo}" },
            },
        });
        await client.WaitForRunAsync(run.Id, r => r.Jobs.All(j => j.Status == JobStatus.Running), "every job runs");

        await server.KillAsync();
        await server.StartAsync();
        await File.WriteAllTextAsync(go, "");
        var ended = await client.WaitForRunEndAsync(run.Id, TimeSpan.FromSeconds(60));

        var slow = ended.Job("slow");
        Assert.Equal((JobStatus.Failed, 7, (string?)null), (slow.Status, slow.ExitCode, slow.Signal));
        Assert.Equal(["done"], (await client.AllLogsAsync(slow.Id)).Select(l => l.Text));
        var chatty = ended.Job("chatty");
        Assert.Equal(JobStatus.Succeeded, chatty.Status);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => $"line {i}"), (await client.AllLogsAsync(chatty.Id)).Select(l => l.Text));
        Assert.Equal(JobStatus.Succeeded, ended.Job("append").Status);
        Assert.Equal(["once"], await File.ReadAllLinesAsync(marker));
        var probe = new DatabaseProbe(server.DatabasePath);
        Assert.Equal("ok", probe.Scalar<string>("PRAGMA integrity_check"));
        Assert.Empty(probe.Violations());
        var system = JsonDocument.Parse(await client.GetStringAsync("/api/system")).RootElement.GetProperty("recovery");
        Assert.Equal(3, system.GetProperty("adopted").GetInt32());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_job_that_ends_while_the_server_is_down_is_recorded_with_its_status_and_output()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var run = await client.SubmitAsync(new { jobs = new[] { new { name = "brief", script = "sleep 1; echo bye; exit 3" } } });
        var pid = await client.WaitForPidAsync(run.Jobs[0].Id);

        await server.KillAsync();
        await EngineArrange.UntilAsync(() => Task.FromResult(ProcessTable.LiveInGroup(pid).Count == 0), "the job ended while the server was down");
        await server.StartAsync();
        var ended = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal((JobStatus.Failed, (int?)3), (ended.Jobs[0].Status, ended.Jobs[0].ExitCode));
        Assert.Equal(["bye"], (await client.AllLogsAsync(ended.Jobs[0].Id)).Select(l => l.Text));
        var recovery = JsonDocument.Parse(await client.GetStringAsync("/api/system")).RootElement.GetProperty("recovery");
        Assert.Equal((0, 1, 0), (recovery.GetProperty("adopted").GetInt32(), recovery.GetProperty("completedWhileDown").GetInt32(),
            recovery.GetProperty("lost").GetInt32()));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_stored_pid_now_owned_by_an_unrelated_process_is_not_adopted_nor_signalled()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var run = await client.SubmitAsync(new { jobs = new[] { new { name = "victim", script = "sleep 1000" } } });
        var jobId = run.Jobs[0].Id;
        await client.WaitForPidAsync(jobId);
        await server.KillAsync();
        ProcessTableCleanup.KillProcessesUnder(server.DataDir);
        using var unrelated = Process.Start("sleep", ["1000"]);
        // As if the kernel had handed the job's and the shim's pids to another process.
        await server.ExecuteSqlAsync("UPDATE jobs SET pid = @pid, shim_pid = @pid WHERE id = @jobId", new { pid = unrelated.Id, jobId });

        await server.StartAsync();
        var ended = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal(JobStatus.Failed, ended.Jobs[0].Status);
        Assert.StartsWith("lost:", ended.Jobs[0].Error);
        Assert.False(unrelated.HasExited, "the unrelated process was not signalled");
        unrelated.Kill();
    }

    [Fact(Timeout = 120_000)]
    public async Task A_timeout_that_passed_and_a_cancel_asked_while_the_server_was_down_are_carried_out_at_restart()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var timed = await client.SubmitAsync(new { jobs = new[] { new { name = "timed", script = "sleep 1000", timeoutSecs = 1 } } });
        var cancelled = await client.SubmitAsync(new { jobs = new[] { new { name = "doomed", script = "sleep 1000" } } });
        var timedPid = await client.WaitForPidAsync(timed.Jobs[0].Id);
        var doomedPid = await client.WaitForPidAsync(cancelled.Jobs[0].Id);
        await server.KillAsync();
        // A cancel committed just before the crash, before its signal went out.
        await server.ExecuteSqlAsync("UPDATE jobs SET stop_requested = 'cancel' WHERE id = @Id", cancelled.Jobs[0]);
        await server.ExecuteSqlAsync("UPDATE runs SET cancel_requested = 1 WHERE id = @Id", cancelled);
        await EngineArrange.UntilAsync(async () => (await Task.Delay(50).ContinueWith(_ => true)) && DateTime.UtcNow > timed.CreatedAt.UtcDateTime.AddSeconds(1.5),
            "the timeout passed while the server was down");

        await server.StartAsync();
        var timedEnd = await server.ExplainAsync(client.WaitForRunEndAsync(timed.Id));
        var cancelledEnd = await server.ExplainAsync(client.WaitForRunEndAsync(cancelled.Id));

        Assert.Equal(JobStatus.TimedOut, timedEnd.Jobs[0].Status);
        Assert.Equal((JobStatus.Cancelled, RunStatus.Cancelled), (cancelledEnd.Jobs[0].Status, cancelledEnd.Status));
        Assert.Empty(ProcessTable.LiveInGroup(timedPid));
        Assert.Empty(ProcessTable.LiveInGroup(doomedPid));
    }
}
