using System.Net;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

public class ScheduleCrashTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_kill_9_and_restart_around_ticks_never_fires_a_tick_twice()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        await (await client.PutJsonAsync("/api/schedules/pulse", new
        {
            cron = "* * * * * *", overlap = "allow", run = new { jobs = new[] { new { name = "tick", script = "true" } } },
        })).ExpectAsync(HttpStatusCode.Created);
        await EngineArrange.UntilAsync(async () => (await RunsAsync(client)).Count >= 2, "two ticks fired");

        await server.KillAsync();
        await server.StartAsync();
        var afterRestart = (await RunsAsync(client)).Count;
        await EngineArrange.UntilAsync(async () => (await RunsAsync(client)).Count >= afterRestart + 2, "two more ticks fired after the restart");
        await (await client.DeleteAsync("/api/schedules/pulse")).ExpectAsync(HttpStatusCode.NoContent);

        var seconds = (await RunsAsync(client)).Select(r => r.CreatedAt.ToUnixTimeSeconds()).ToList();
        Assert.Equal(seconds.Count, seconds.Distinct().Count());
        Assert.Equal(seconds.Count, new DatabaseProbe(server.DatabasePath).Scalar<long>("SELECT COUNT(*) FROM runs WHERE schedule = 'pulse'"));
    }

    static async Task<List<RunSummary>> RunsAsync(HttpClient client) =>
        (await (await client.GetAsync("/api/runs?schedule=pulse&limit=500")).ReadAsync<Page<RunSummary>>()).Items.ToList();
}
