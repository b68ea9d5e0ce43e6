using System.Diagnostics;

namespace HeroProc.Bench.Scenarios;

/// <summary>100 `true` jobs each depending on the one before: what a hop of the DAG costs over running the commands back to back.</summary>
public sealed class ChainScenario : Scenario
{
    public override string Name => "chain";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(3);

    public override string Method =>
        "One run of 100 inline `true` jobs, job k `dependsOn` job k−1, timed on the client from the submit until `GET /api/runs?limit=1` " +
        "shows it succeeded (polled every 10 ms). Limit: `for i in $(seq 100); do sh -c true; done`. The overhead per hop is " +
        "(HeroProc's time − the limit's) / 100; repeated, the median is judged. The breakdown comes from the job events of the last repeat.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var hops = context.Size(100);
        await using var server = new BenchServer();
        await server.StartAsync(ct);
        await RunOnceAsync(server.Api, Body(hops / 5), ct);  // warm-up: JIT and tiering

        var overheads = new List<double>();
        var totals = new List<double>();
        var limits = new List<double>();
        var serverCpu = new List<double>();
        RunDto? last = null;
        for (var i = 0; i < context.Repeats; i++)
        {
            var before = server.Cpu();
            var (ms, run) = await RunOnceAsync(server.Api, Body(hops), ct);
            serverCpu.Add((server.Cpu().Own - before.Own).TotalMilliseconds / hops);
            last = run;
            var limit = (await Shell.TimeAsync($"for i in $(seq {hops}); do sh -c true; done", ct)).Wall.TotalMilliseconds;
            totals.Add(ms);
            limits.Add(limit);
            overheads.Add((ms - limit) / hops);
            context.Progress(Name, $"round {i + 1}: {ms:0} ms, back to back {limit:0} ms, overhead {overheads[^1]:0.00} ms per hop");
        }
        var overhead = Stats.Median(overheads);
        context.Report.Add(new ResultRow(Name, $"{Stats.Ms(Stats.Median(totals))}; overhead {Stats.Ms(overhead)} per hop ({Stats.Each(overheads, Stats.Ms)})",
            $"{Stats.Ms(Stats.Median(limits))}", Stats.Ratio(Stats.Median(totals) / Stats.Median(limits)), "overhead < 5 ms per hop", overhead < 5));

        var phases = (await JobPhases.ReadAsync(server.Api, (await server.Api.GetRunAsync(last!.Id, ct)).Jobs!.OrderBy(j => j.Id), ct));
        var handoffs = phases.Zip(phases.Skip(1), (before, next) => (next.Starting - before.Done).TotalMilliseconds).ToList();
        context.Report.Note(Name, $"server records of the last repeat, per hop: previous job stored as succeeded → next job starting " +
            $"{handoffs.Average():0.00} ms (p99 {Stats.Percentile(handoffs, 99):0.0}); starting → running {phases.Average(p => (p.Running - p.Starting).TotalMilliseconds):0.00} ms; " +
            $"running → succeeded {phases.Average(p => (p.Done - p.Running).TotalMilliseconds):0.00} ms; the limit spends {Stats.Median(limits) / hops:0.00} ms per command. " +
            $"The server's own CPU time per hop: {Stats.Median(serverCpu):0.00} ms (median of repeats; client polling included): a hop waits " +
            "for no timer, it is as long as the server's work for one job.");
    }

    static byte[] Body(int hops) => HeroProcApi.Body(new
    {
        name = "bench-chain",
        jobs = Enumerable.Range(0, hops).Select(i => new { name = $"j{i}", script = "true", dependsOn = i == 0 ? Array.Empty<string>() : [$"j{i - 1}"] }),
    });

    static async Task<(double Ms, RunDto Run)> RunOnceAsync(HeroProcApi api, byte[] body, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var submitted = await api.SubmitAsync(body, ct);
        var run = await api.WaitRunFinishedAsync(submitted.Id, TimeSpan.FromMilliseconds(10), ct);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (run.Status != "succeeded")
            throw new InvalidOperationException($"run {run.Id} ended {run.Status}");
        return (ms, run);
    }
}
