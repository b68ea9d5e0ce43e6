using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

public class ShutdownTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_graceful_shutdown_leaves_jobs_running_and_the_next_start_adopts_them()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        // The job waits for this file, created after the restart: however slow the shutdown, it outlives it.
        var go = Path.Combine(server.DataDir, "go");
        var run = await server.Client.SubmitAsync(new { jobs = new[] { new { name = "long", script = $"while [ ! -e {go} ]; do sleep 0.05; done; echo finished" } } });
        var pid = await server.Client.WaitForPidAsync(run.Jobs[0].Id);

        await server.StopAsync();
        Assert.NotEmpty(ProcessTable.LiveInGroup(pid));
        await server.StartAsync();
        await File.WriteAllTextAsync(go, "");
        var ended = await server.Client.WaitForRunEndAsync(run.Id);

        Assert.Equal(JobStatus.Succeeded, ended.Jobs[0].Status);
        Assert.Equal(["finished"], (await server.Client.AllLogsAsync(ended.Jobs[0].Id)).Select(l => l.Text));
        Assert.Equal(1, ended.Jobs[0].Attempt);
    }

    [Fact(Timeout = 120_000)]
    public async Task With_StopJobsOnShutdown_a_graceful_shutdown_stops_jobs_and_records_their_end()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["HeroProc:StopJobsOnShutdown"] = "true" });
        await server.StartAsync();
        var run = await server.Client.SubmitAsync(new { jobs = new[] { new { name = "long", script = "sleep 1000", stopTimeoutSecs = 2 } } });
        var pid = await server.Client.WaitForPidAsync(run.Jobs[0].Id);

        await server.StopAsync();

        Assert.Empty(ProcessTable.LiveInGroup(pid));
        var probe = new DatabaseProbe(server.DatabasePath);
        Assert.Equal(("cancelled", "TERM"), probe.Query<(string, string)>("SELECT status, signal FROM jobs WHERE id = @Id", run.Jobs[0]).Single());
    }
}
