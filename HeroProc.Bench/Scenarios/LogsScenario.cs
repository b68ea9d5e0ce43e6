using System.Diagnostics;

namespace HeroProc.Bench.Scenarios;

/// <summary>One job printing 200 MB of short lines: how fast its output becomes queryable, and what it costs the server in memory.</summary>
public sealed class LogsScenario : Scenario
{
    const string Line = "heroproc bench: a short log line, like most programs print";
    const string EndMarker = "heroproc-bench-last-line";

    public override string Name => "logs";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(6);

    public override string Method =>
        $"One job runs `yes '{Line}' 2>/dev/null | head -n N; echo {EndMarker}` (N lines of {Line.Length + 1} bytes, 200 MB in all), timed on the " +
        $"client from the submit until `GET /api/jobs/{{id}}/logs?after=N` returns the last line (polled every 20 ms). Limit: the same " +
        "command with its output redirected to a file in the same file system. Peak RSS is the server's VmHWM after the job (a fresh server " +
        "each repeat, so the peak is this job's). Repeated; medians are judged.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var bytes = context.Size(200) * 1_000_000L;
        var lines = bytes / (Line.Length + 1);
        var script = $"yes '{Line}' 2>/dev/null | head -n {lines}; echo {EndMarker}";
        var totalMB = (lines * (Line.Length + 1) + EndMarker.Length + 1) / 1e6;

        var rates = new List<double>();
        var peaks = new List<double>();
        var limits = new List<double>();
        var jobSeconds = new List<double>();
        var serverCpu = new List<double>();
        var limitCpu = new List<double>();
        for (var i = 0; i < context.Repeats; i++)
        {
            await using (var server = new BenchServer())
            {
                await server.StartAsync(ct);
                var before = server.Cpu().Own;
                var (seconds, jobRan) = await RunOnceAsync(server, script, lines, ct);
                serverCpu.Add((server.Cpu().Own - before).TotalMilliseconds / totalMB);
                rates.Add(totalMB / seconds);
                jobSeconds.Add(jobRan);
                peaks.Add(server.Memory().Peak);
                var file = Path.Combine(server.DataDir, "limit.out");
                var toFile = await Shell.TimeAsync($"{{ {script}; }} > '{file}'", ct);
                limits.Add(totalMB / toFile.Wall.TotalSeconds);
                limitCpu.Add(toFile.Cpu.TotalMilliseconds / totalMB);
                File.Delete(file);
            }
            context.Progress(Name, $"round {i + 1}: {rates[^1]:0} MB/s (job ran {jobSeconds[^1]:0.00} s), peak RSS {Stats.MB((long)peaks[^1])}; to a file {limits[^1]:0} MB/s");
        }
        var rate = Stats.Median(rates);
        var limit = Stats.Median(limits);
        context.Report.Add(new ResultRow(Name + " (throughput)", $"{rate:0} MB/s ({Stats.Each(rates, v => Stats.Number(v))})",
            $"{limit:0} MB/s ({Stats.Each(limits, v => Stats.Number(v))})", Stats.Ratio(rate / limit), "ratio ≥ 0.25", rate / limit >= 0.25));
        var peak = Stats.Median(peaks);
        context.Report.Add(new ResultRow(Name + " (memory)", $"peak RSS {Stats.MB((long)peak)} ({Stats.Each(peaks, v => Stats.MB((long)v))})",
            "—", "—", "peak RSS < 300 MB", peak < 300 * 1024 * 1024));
        context.Report.Note(Name, $"from the job's events, starting → succeeded (the job ran and all of its output was stored) took " +
            $"{Stats.Seconds(Stats.Median(jobSeconds))} of the time to the last line being queryable (median of repeats); {totalMB:0} MB in {lines + 1} lines. " +
            $"CPU per MB: the server {Stats.Median(serverCpu):0.0} ms; the command writing to a file {Stats.Median(limitCpu):0.0} ms.");
    }

    /// <summary>Submits the job, waits until its last line can be read, and returns that time and the job's own run time.</summary>
    static async Task<(double Seconds, double JobSeconds)> RunOnceAsync(BenchServer server, string script, long lines, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var run = await server.Api.SubmitAsync(new { name = "bench-logs", jobs = new[] { new { name = "print", script } } }, ct);
        var job = run.Jobs!.Single();
        while (true)
        {
            var page = await server.Api.JobLogsAsync(job.Id, lines, 10, ct);
            if (page.Lines.Any(l => l.Text == EndMarker))
                break;
            await Task.Delay(20, ct);
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var finished = await server.Api.WaitRunFinishedAsync(run.Id, TimeSpan.FromMilliseconds(50), ct);
        if (finished.Status != "succeeded")
            throw new InvalidOperationException($"the printing job's run ended {finished.Status}");
        var phases = (await JobPhases.ReadAsync(server.Api, [job], ct)).Single();
        return (seconds, (phases.Done - phases.Starting).TotalSeconds);
    }
}
