using System.Diagnostics;

namespace HeroProc.Bench.Scenarios;

/// <summary>1000 `true` jobs in one run, 4 at a time, from submit until all have finished, beside `xargs -P 4`.</summary>
public sealed class SpawnScenario : Scenario
{
    const int Parallel = 4;

    public override string Name => "spawn";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(6);

    public override string Method =>
        "One run of 1000 inline `true` jobs with `maxParallel: 4` (and the global `MaxParallelJobs` at least 4), timed on the client " +
        "from the submit until `GET /api/runs?limit=1` shows the run succeeded (polled every 20 ms). Limit: `seq 1000 | xargs -n 1 -P 4 sh -c true`. " +
        "Repeated, medians compared; the ratio is HeroProc's time over the limit's. The breakdown comes from the server's own job events " +
        "(starting → running → succeeded) of the last repeat, and from starting the shim alone from .NET the way the server does.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var jobs = context.Size(1000);
        await using var server = new BenchServer(new Dictionary<string, string>
        {
            ["HeroProc__MaxParallelJobs"] = Math.Max(Parallel, 2 * Environment.ProcessorCount).ToString(),
        });
        await server.StartAsync(ct);
        var body = RunBody(jobs);
        await RunOnceAsync(server.Api, RunBody(jobs / 5), ct);  // warm-up: JIT and tiering, as in a server that has been up a while

        var hero = new List<double>();
        var limit = new List<double>();
        var serverCpu = new List<double>();
        var childCpu = new List<double>();
        var limitCpu = new List<double>();
        RunDto? last = null;
        for (var i = 0; i < context.Repeats; i++)
        {
            var before = server.Cpu();
            var (seconds, run) = await RunOnceAsync(server.Api, body, ct);
            var after = server.Cpu();
            hero.Add(seconds);
            serverCpu.Add((after.Own - before.Own).TotalMilliseconds / jobs);
            childCpu.Add((after.Children - before.Children).TotalMilliseconds / jobs);
            last = run;
            var xargs = await Shell.TimeAsync($"seq {jobs} | xargs -n 1 -P {Parallel} sh -c true", ct);
            limit.Add(xargs.Wall.TotalSeconds);
            limitCpu.Add(xargs.Cpu.TotalMilliseconds / jobs);
            context.Progress(Name, $"round {i + 1}: HeroProc {seconds:0.00} s, xargs {limit[^1]:0.00} s");
        }
        var ratio = Stats.Median(hero) / Stats.Median(limit);
        context.Report.Add(new ResultRow(Name, $"{Stats.Seconds(Stats.Median(hero))} ({Stats.Each(hero, Stats.Seconds)})",
            $"{Stats.Seconds(Stats.Median(limit))} ({Stats.Each(limit, Stats.Seconds)})", Stats.Ratio(ratio), "time ≤ 3× limit", ratio <= 3));

        // With every core busy, a run cannot take less than its CPU time over the cores: if that bound is close
        // to the measured time, the run is CPU-bound and the CPU per job is what to cut.
        var cpuBound = (Stats.Median(serverCpu) + Stats.Median(childCpu)) * jobs / Environment.ProcessorCount / 1000;
        context.Report.Note(Name, $"CPU per job (user + system, median of repeats): the server itself {Stats.Median(serverCpu):0.00} ms, its shims " +
            $"with their jobs {Stats.Median(childCpu):0.00} ms; xargs with its `sh -c true` {Stats.Median(limitCpu):0.00} ms. Spread over the " +
            $"{Environment.ProcessorCount} cores, HeroProc's CPU time alone takes {cpuBound:0.00} s of the {Stats.Median(hero):0.00} s measured.");
        await BreakdownAsync(context, server, last!.Id, jobs, Stats.Median(limit), ct);
        await ShimAloneAsync(context, jobs, ct);
    }

    static byte[] RunBody(int jobs) => HeroProcApi.Body(new
    {
        name = "bench-spawn",
        maxParallel = Parallel,
        jobs = Enumerable.Range(0, jobs).Select(i => new { name = $"j{i}", script = "true" }),
    });

    static async Task<(double Seconds, RunDto Run)> RunOnceAsync(HeroProcApi api, byte[] body, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var submitted = await api.SubmitAsync(body, ct);
        var run = await api.WaitRunFinishedAsync(submitted.Id, TimeSpan.FromMilliseconds(20), ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (run.Status != "succeeded")
            throw new InvalidOperationException($"run {run.Id} ended {run.Status}");
        return (seconds, run);
    }

    /// <summary>Where a job's time goes, from the server's own records: per job and per slot.</summary>
    async Task BreakdownAsync(BenchContext context, BenchServer server, long runId, int jobs, double limitSeconds, CancellationToken ct)
    {
        var run = await server.Api.GetRunAsync(runId, ct);
        var phases = await JobPhases.ReadAsync(server.Api, run.Jobs!, ct);
        var first = phases.Min(p => p.Starting);
        var end = phases.Max(p => p.Done);
        // A slot turns over once per job: its time per job, minus the job's own phases, is time no job held it.
        var perSlot = (end - first).TotalMilliseconds * Parallel / jobs;
        var claimToRunning = phases.Average(p => (p.Running - p.Starting).TotalMilliseconds);
        var runningToDone = phases.Average(p => (p.Done - p.Running).TotalMilliseconds);
        context.Report.Note(Name, $"server records of the last repeat: submit → first job starting {(first - run.CreatedAt).TotalMilliseconds:0} ms; " +
            $"per job, starting → running (shim and job spawned, pid committed) {claimToRunning:0.0} ms, running → succeeded (job ran, exit seen, " +
            $"output ingested, committed) {runningToDone:0.0} ms; each of the {Parallel} slots spent {perSlot:0.0} ms per job, so " +
            $"{Math.Max(0, perSlot - claimToRunning - runningToDone):0.0} ms per job no job held the slot (scheduling between a job's end and the next claim). " +
            $"xargs's slot time per job (its total × {Parallel} / {jobs}) is {limitSeconds * 1000 * Parallel / jobs:0.0} ms.");
    }

    /// <summary>
    /// The shims alone, started the way the server starts them (ShimLauncher: a request to the shim launcher,
    /// `heroproc-shim --serve`, which forks a shim; its "ready" report, then its "exit"), 4 at a time, with
    /// nothing else: what the per-job shim costs before any database work. And plain `sh -c true` started
    /// with .NET's Process.Start, 4 at a time, for comparison.
    /// </summary>
    async Task ShimAloneAsync(BenchContext context, int jobs, CancellationToken ct)
    {
        var dir = BenchServer.NewDataDir();
        try
        {
            double shimSeconds;
            using (var launcher = new ShimLauncherDriver(dir))
                shimSeconds = await TimeFourAtATimeAsync(jobs, launcher.RunAsync, ct);
            var shSeconds = await TimeFourAtATimeAsync(jobs, async (_, ct) =>
            {
                var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add("true");
                using var process = Process.Start(start)!;
                await process.WaitForExitAsync(ct);
            }, ct);
            context.Report.Note(Name, $"without the server: `sh -c true` × {jobs} started from .NET's Process.Start, {Parallel} at a time, " +
                $"takes {Stats.Seconds(shSeconds)}; the shims running `sh -c true`, started through the shim launcher as the server does, take {Stats.Seconds(shimSeconds)}.");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static async Task<double> TimeFourAtATimeAsync(int jobs, Func<int, CancellationToken, Task> runOne, CancellationToken ct)
    {
        var next = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var n && n <= jobs)
                await runOne(n, ct);
        }, ct)));
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}

/// <summary>Drives `heroproc-shim --serve` with its line protocol (see Shim/heroproc-shim.c): one request per job, then its "ready" and "exit".</summary>
sealed class ShimLauncherDriver : IDisposable
{
    readonly Process _launcher;
    readonly StreamReader _reports;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<Task>> _ready = new();
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _exits = new();
    readonly string _dir;

    public ShimLauncherDriver(string dir)
    {
        _dir = dir;
        var start = new ProcessStartInfo(Path.Combine(Path.GetDirectoryName(BenchServer.ServerDll)!, "heroproc-shim"))
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true,
        };
        start.ArgumentList.Add("--serve");
        start.ArgumentList.Add(dir);
        _launcher = Process.Start(start)!;
        _reports = _launcher.StandardOutput;
        new Thread(ReadReports) { IsBackground = true }.Start();
    }

    /// <summary>Closing its stdin ends the launcher.</summary>
    public void Dispose()
    {
        _launcher.StandardInput.Close();
        _launcher.WaitForExit();
        _launcher.Dispose();
    }

    void ReadReports()
    {
        while (_reports.ReadLine() is { } line)
        {
            var words = line.Split(' ');
            if (words is ["ready", var id, var shim, ..])
            {
                // Registered before the next line is read: a shim's "exit" always follows its "ready".
                var exited = _exits[shim] = new TaskCompletionSource();
                _ready[id].SetResult(exited.Task);
            }
            else if (words is ["exit", var pid] && _exits.TryRemove(pid, out var exit))
                exit.SetResult();
            else if (words is ["error", var failed, ..])
                _ready[failed].SetException(new InvalidOperationException($"the shim launcher said '{line}'"));
        }
    }

    public async Task RunAsync(int n, CancellationToken ct)
    {
        var id = n.ToString();
        var attempt = Directory.CreateDirectory(Path.Combine(_dir, id)).FullName;
        var ready = _ready[id] = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        string[] fields = [id, attempt, "15", "10", attempt, "3", "/bin/sh", "-c", "true", "1", "PATH=/usr/bin:/bin"];
        var payload = System.Text.Encoding.UTF8.GetBytes(string.Concat(fields.Select(f => f + "\0")));
        lock (_launcher)
        {
            _launcher.StandardInput.BaseStream.Write(System.Text.Encoding.ASCII.GetBytes($"{payload.Length}\n"));
            _launcher.StandardInput.BaseStream.Write(payload);
            _launcher.StandardInput.BaseStream.Flush();
        }
        await (await ready.Task.WaitAsync(ct)).WaitAsync(ct);
    }
}

/// <summary>A job's phases from its events: claimed (starting), spawned (running), ended (its final status, output stored).</summary>
public sealed record JobPhases(long JobId, DateTimeOffset Starting, DateTimeOffset Running, DateTimeOffset Done)
{
    static readonly string[] Final = ["succeeded", "failed", "timed_out", "cancelled", "skipped"];

    public static async Task<List<JobPhases>> ReadAsync(HeroProcApi api, IEnumerable<JobDto> jobs, CancellationToken ct)
    {
        var phases = new List<JobPhases>();
        foreach (var job in jobs)
        {
            var events = await api.JobEventsAsync(job.Id, ct);
            DateTimeOffset At(params string[] statuses) =>
                events.FirstOrDefault(e => statuses.Contains(e.Status))?.At ?? throw new InvalidOperationException($"job {job.Id} has no {statuses[0]} event");
            phases.Add(new JobPhases(job.Id, At("starting"), At("running"), At(Final)));
        }
        return phases;
    }
}
