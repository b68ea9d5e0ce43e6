using System.Diagnostics;

namespace HeroProc.Bench.Scenarios;

/// <summary>A service process that exits at once, restarted with no delay: how long one restart takes, beside a shell loop.</summary>
public sealed class RestartScenario : Scenario
{
    const string Service = "bench-restart";

    public override string Name => "restart";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(4);

    public override string Method =>
        "A service with one `process` action running `true`, `restart: always`, `restartPolicy` `{ delayMs: 0, minUptimeMs: 0, " +
        "maxRestarts: 10000, windowSecs: 86400 }`, started until `status.restarts` reaches 200, then stopped. The time per restart is taken " +
        "from the job's own events: from the first attempt's `running` to the 201st attempt's `running`, over 200 (one whole cycle: the process " +
        "runs and exits, the exit is seen and stored, the next attempt is spawned). Limit: `for i in $(seq 200); do sh -c true; done`, " +
        "timed over 200. Repeated with a fresh start of the service; the median is judged.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var restarts = context.Size(200);
        await using var server = new BenchServer();
        await server.StartAsync(ct);
        await server.Api.PutServiceAsync(Service, new
        {
            description = "bench: exits at once, restarted at once",
            actions = new[]
            {
                new
                {
                    name = "main", kind = "process", script = "true", restart = "always",
                    restartPolicy = new { delayMs = 0, minUptimeMs = 0, maxRestarts = 10000, windowSecs = 86400 },
                },
            },
        }, ct);

        await MeasureAsync(server.Api, restarts / 5, ct);  // warm-up: JIT and tiering

        var cycles = new List<double>();
        var exitToStart = new List<double>();
        var limits = new List<double>();
        var serverCpu = new List<double>();
        for (var i = 0; i < context.Repeats; i++)
        {
            var before = server.Cpu();
            var (cycle, gap, done) = await MeasureAsync(server.Api, restarts, ct);
            serverCpu.Add((server.Cpu().Own - before.Own).TotalMilliseconds / done);
            cycles.Add(cycle);
            exitToStart.Add(gap);
            limits.Add((await Shell.TimeAsync($"for i in $(seq {restarts}); do sh -c true; done", ct)).Wall.TotalMilliseconds / restarts);
            context.Progress(Name, $"round {i + 1}: {cycle:0.00} ms per restart (exit seen → next running {gap:0.00} ms); shell loop {limits[^1]:0.00} ms");
        }
        var median = Stats.Median(cycles);
        var limit = Stats.Median(limits);
        context.Report.Add(new ResultRow(Name, $"{Stats.Ms(median)} per restart ({Stats.Each(cycles, Stats.Ms)})",
            $"{Stats.Ms(limit)} per iteration", Stats.Ratio(median / limit), "< 10 ms per restart", median < 10));
        context.Report.Note(Name, $"of each restart cycle, {Stats.Ms(Stats.Median(exitToStart))} (median of repeats) passes between the server " +
            "storing the exit (`retrying` event) and the next attempt's `running` event; the rest is the process's own life and the time to see and store its exit. " +
            $"The server's own CPU time per restart: {Stats.Median(serverCpu):0.00} ms (median of repeats; start, stop and polling included).");
    }

    /// <summary>Starts the service, waits for <paramref name="restarts"/> restarts, stops it, and reads the cycle time from the job's events.</summary>
    static async Task<(double CycleMs, double ExitToStartMs, int Restarts)> MeasureAsync(HeroProcApi api, int restarts, CancellationToken ct)
    {
        await api.StartServiceAsync(Service, ct);
        ServiceDto service;
        var started = Stopwatch.GetTimestamp();
        do
        {
            await Task.Delay(50, ct);
            service = await api.GetServiceAsync(Service, ct);
            if (service.Status.State == "failed")
                throw new InvalidOperationException($"the service failed after {service.Status.Restarts} restarts");
        }
        while (service.Status.Restarts < restarts);
        var wallPerRestart = Stopwatch.GetElapsedTime(started).TotalMilliseconds / service.Status.Restarts;
        await api.StopServiceAsync(Service, ct);
        while ((await api.GetServiceAsync(Service, ct)).Status.State is not ("stopped" or "failed" or "completed"))
            await Task.Delay(50, ct);

        var run = await api.GetRunAsync(service.Status.RunId!.Value, ct);
        var events = await api.JobEventsAsync(run.Jobs!.Single().Id, ct);
        var running = events.Where(e => e.Status == "running").GroupBy(e => e.Attempt).ToDictionary(g => g.Key, g => g.First().At);
        if (!running.ContainsKey(1) || !running.ContainsKey(restarts + 1))
        {
            // The history was not kept per attempt: fall back on the wall clock.
            return (wallPerRestart, double.NaN, service.Status.Restarts);
        }
        var cycle = (running[restarts + 1] - running[1]).TotalMilliseconds / restarts;
        var exits = events.Where(e => e.Status == "retrying").GroupBy(e => e.Attempt).ToDictionary(g => g.Key, g => g.First().At);
        var gaps = Enumerable.Range(1, restarts)
            .Where(a => exits.ContainsKey(a) && running.ContainsKey(a + 1))
            .Select(a => (running[a + 1] - exits[a]).TotalMilliseconds).ToList();
        return (cycle, gaps.Count > 0 ? gaps.Average() : double.NaN, service.Status.Restarts);
    }
}
