using System.Collections.Concurrent;
using System.Net;
using HeroProc.Api.Runs;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

public class KillStormTests
{
    /// <summary>
    /// Ten SIGKILLs at random moments while clients submit runs: every acknowledged run survives whole,
    /// nothing is half written, no job stays running without its process, and no process group is orphaned.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task Ten_kills_during_a_burst_of_submits_lose_and_orphan_nothing()
    {
        await using var server = new ServerProcess();
        var acknowledged = new ConcurrentDictionary<long, int>();
        var random = new Random(20261128);

        for (var round = 0; round < 10; round++)
        {
            await server.StartAsync();
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 3).Select(c => Task.Run(async () =>
            {
                for (var i = 0; i < 8 && !stop.IsCancellationRequested; i++)
                {
                    var body = new { jobs = new object[] { new { name = "a", script = "sleep 0.05" }, new { name = "b", script = "echo b", dependsOn = new[] { "a" } }, new { name = "c", script = "true" } } };
                    try
                    {
                        var response = await server.Client.PostJsonAsync("/api/runs", body);
                        if (response.StatusCode == HttpStatusCode.Created)
                            acknowledged[(await response.ReadAsync<RunResponse>()).Id] = 3;
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server died under this request: it was never acknowledged
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            })).ToList();
            await Task.Delay(random.Next(50, 400));

            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }
        await server.StartAsync();
        foreach (var runId in acknowledged.Keys)
            await server.Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(120));

        Assert.True(acknowledged.Count > 20, $"{acknowledged.Count} runs were acknowledged");
        var probe = new DatabaseProbe(server.DatabasePath);
        foreach (var (runId, jobs) in acknowledged)
            Assert.Equal(jobs, probe.Scalar<long>("SELECT COUNT(*) FROM jobs WHERE run_id = @runId", new { runId }));
        Assert.Empty(probe.Violations());
        Assert.Equal("ok", probe.Scalar<string>("PRAGMA integrity_check"));
        await EngineArrange.UntilAsync(async () =>
            (await server.Client.GetStringAsync("/api/runs?status=pending")).Contains("\"items\":[]") &&
            (await server.Client.GetStringAsync("/api/runs?status=running")).Contains("\"items\":[]"), "every run has finished", TimeSpan.FromSeconds(120));
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM jobs WHERE status IN ('starting', 'running')"));
        Assert.Empty(ProcessTableCleanup.LiveUnder(server.DataDir));
        // Each killed server's shim launcher went with it (its stdin closed): only the live server's is left.
        await EngineArrange.UntilAsync(() => Task.FromResult(ProcessTableCleanup.Launchers(server.DataDir).Count == 1),
            "one shim launcher is left", TimeSpan.FromSeconds(10), () => "launchers: " + string.Join(", ", ProcessTableCleanup.Launchers(server.DataDir)));
    }
}
