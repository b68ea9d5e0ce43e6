using System.Diagnostics;

namespace HeroProc.Bench.Scenarios;

/// <summary>The server's resident memory idle, and while it supervises 500 running jobs.</summary>
public sealed class MemoryScenario : Scenario
{
    public override string Name => "memory";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(6);

    public override string Method =>
        "A fresh server (`MaxParallelJobs=600`) serves a few calls (a one-job run, the lists), then rests 3 s: idle RSS is its VmRSS. Then " +
        "one run of 500 `sleep 30` jobs; once all 500 are `running` and 3 s more have passed (a sampling cycle of the service status), the " +
        "RSS is the highest VmRSS sampled every 100 ms since the submit. The run is then cancelled, and the bench checks that no job process " +
        "is left. Repeated with a fresh server; medians are judged.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var jobs = context.Size(500);
        var idle = new List<double>();
        var busy = new List<double>();
        var peaks = new List<double>();
        for (var i = 0; i < context.Repeats; i++)
        {
            await using var server = new BenchServer(new Dictionary<string, string> { ["HeroProc__MaxParallelJobs"] = "600" });
            await server.StartAsync(ct);
            var api = server.Api;

            var warm = await api.SubmitAsync(new { name = "bench-warm", jobs = new[] { new { name = "one", script = "true" } } }, ct);
            await api.WaitRunFinishedAsync(warm.Id, TimeSpan.FromMilliseconds(50), ct);
            await api.GetRunAsync(warm.Id, ct);
            await api.ListServicesAsync(ct);
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            idle.Add(server.Memory().Rss);

            long highest = 0;
            var started = Stopwatch.GetTimestamp();
            var run = await api.SubmitAsync(new { name = "bench-memory", jobs = Enumerable.Range(0, jobs).Select(j => new { name = $"s{j}", script = "sleep 30" }) }, ct);
            using (var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        highest = Math.Max(highest, server.Memory().Rss);
                        await Task.Delay(100, CancellationToken.None);
                    }
                }, CancellationToken.None);
                while ((await api.GetRunAsync(run.Id, ct)).Jobs!.Count(j => j.Status == "running") < jobs)
                {
                    if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(25))
                        throw new TimeoutException($"not all {jobs} jobs were running after 25 s (a sleep lasts 30 s)");
                    await Task.Delay(250, ct);
                }
                var allRunning = Stopwatch.GetElapsedTime(started).TotalSeconds;
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
                await sampling.CancelAsync();
                await sampler;
                context.Progress(Name, $"round {i + 1}: {jobs} jobs running after {allRunning:0.0} s");
            }
            busy.Add(highest);
            peaks.Add(server.Memory().Peak);

            await api.CancelRunAsync(run.Id, ct);
            var cancelled = await api.WaitRunFinishedAsync(run.Id, TimeSpan.FromMilliseconds(100), ct);
            await Task.Delay(500, ct);
            var left = BenchServer.LiveProcessesUnder(server.DataDir);
            if (cancelled.Status != "cancelled" || left.Count > 0)
                throw new InvalidOperationException($"after the cancel the run is {cancelled.Status} and {left.Count} job processes are left ({string.Join(' ', left.Take(10))})");
            context.Progress(Name, $"round {i + 1}: idle {Stats.MB((long)idle[^1])}, with {jobs} jobs {Stats.MB(highest)} (VmHWM {Stats.MB((long)peaks[^1])}); cancelled, none left");
        }
        var idleMedian = Stats.Median(idle);
        var busyMedian = Stats.Median(busy);
        context.Report.Add(new ResultRow($"{Name} (idle)", $"RSS {Stats.MB((long)idleMedian)} ({Stats.Each(idle, v => Stats.MB((long)v))})",
            "—", "—", "< 150 MB", idleMedian < 150 * 1024 * 1024));
        context.Report.Add(new ResultRow($"{Name} ({jobs} sleep jobs)", $"RSS {Stats.MB((long)busyMedian)} ({Stats.Each(busy, v => Stats.MB((long)v))}); VmHWM {Stats.MB((long)Stats.Median(peaks))}",
            "—", "—", "< 400 MB", busyMedian < 400 * 1024 * 1024));
    }
}
