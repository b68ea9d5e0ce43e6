using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

/// <summary>
/// Attempts left by a server of the older file layout (jobs/ID/attempt-N/ with shim.pid, job.pid, status
/// and spool.N) are still followed to their end by the current one.
/// </summary>
public class LegacyLayoutTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_job_that_ended_while_the_server_was_down_in_the_older_layout_is_recorded_with_its_status_and_output()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var go = Path.Combine(server.DataDir, "go");
        var run = await server.Client.SubmitAsync(new { jobs = new[] { new { name = "old", script = $"while [ ! -e {go} ]; do sleep 0.05; done; echo finished; exit 3" } } });
        var jobId = run.Jobs[0].Id;
        await server.Client.WaitForPidAsync(jobId);
        await server.KillAsync();
        await File.WriteAllTextAsync(go, "");
        var stateFile = Path.Combine(server.DataDir, "attempts", $"{jobId}-1.state");
        await EngineArrange.UntilAsync(() => Task.FromResult(File.Exists(stateFile) && File.ReadAllText(stateFile).Contains("exit 3\n")),
            "the job ended while the server was down");

        // What an older server's shim would have left: the same facts, in its own files.
        var legacy = Directory.CreateDirectory(Path.Combine(server.DataDir, "jobs", $"{jobId}", "attempt-1")).FullName;
        var lines = File.ReadAllLines(stateFile);
        File.WriteAllText(Path.Combine(legacy, "shim.pid"), lines.Single(l => l.StartsWith("shim ", StringComparison.Ordinal))["shim ".Length..] + "\n");
        File.WriteAllText(Path.Combine(legacy, "job.pid"), lines.Single(l => l.StartsWith("job ", StringComparison.Ordinal))["job ".Length..] + "\n");
        File.WriteAllText(Path.Combine(legacy, "status"), "exit 3\n");
        File.Move(Path.Combine(server.DataDir, "attempts", $"{jobId}-1.spool.0"), Path.Combine(legacy, "spool.0"));
        File.Delete(stateFile);

        await server.StartAsync();
        var ended = await server.Client.WaitForRunEndAsync(run.Id);

        Assert.Equal((JobStatus.Failed, 3), (ended.Jobs[0].Status, ended.Jobs[0].ExitCode));
        Assert.Equal(["finished"], (await server.Client.AllLogsAsync(jobId)).Select(l => l.Text));
        Assert.False(Directory.Exists(legacy), "the older attempt directory is deleted once its end is recorded");
    }
}
