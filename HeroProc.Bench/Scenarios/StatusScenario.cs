using System.Diagnostics;
using System.Net;

namespace HeroProc.Bench.Scenarios;

/// <summary>The status reads a dashboard makes, on an idle server and while 8 clients submit runs as fast as they can.</summary>
public sealed class StatusScenario : Scenario
{
    const int SubmitClients = 8;

    public override string Name => "status";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(5);

    public override string Method =>
        "200 services, each one `process` action (`exec` interpreter, `sleep 3600`), all started and `running`; one 10-job run. One reader " +
        "alternates `GET /api/runs/{id}` and `GET /api/services` (the 200 statuses), 200 calls each, first on the idle server (the limit " +
        $"column), then while {SubmitClients} clients submit 10-job runs in a closed loop (the submit scenario's load; the server is paused so " +
        "the submitted runs are stored, not executed, and the services' processes keep running). Repeated; the median p99 under load is judged.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var services = context.Size(200);
        var calls = context.Size(200);
        await using var server = new BenchServer();
        await server.StartAsync(ct);
        var api = server.Api;
        var names = Enumerable.Range(0, services).Select(i => $"bench-{i:000}").ToList();
        try
        {
            foreach (var name in names)
            {
                await api.PutServiceAsync(name, new
                {
                    actions = new[] { new { name = "main", kind = "process", interpreter = "exec", script = "sleep 3600" } },
                }, ct);
                await api.StartServiceAsync(name, ct);
            }
            var started = Stopwatch.GetTimestamp();
            while ((await api.ListServicesAsync(ct)).Count(s => s.Status.State == "running") < services)
                await Task.Delay(200, ct);
            context.Progress(Name, $"{services} services running after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");

            await api.PauseAsync(ct);
            var run = await api.SubmitAsync(new { name = "bench-status", jobs = Enumerable.Range(0, 10).Select(i => new { name = $"j{i}", script = "true" }) }, ct);
            var load = HeroProcApi.Body(new { name = "bench-load", jobs = Enumerable.Range(0, 10).Select(i => new { name = $"j{i}", script = "true" }) });
            await ReadAsync(api, run.Id, calls / 4, ct);  // warm-up

            var idleRun = new List<double>(); var idleServices = new List<double>();
            var loadedRun = new List<double>(); var loadedServices = new List<double>();
            var idleRun50 = new List<double>(); var idleServices50 = new List<double>();
            var loadedRun50 = new List<double>(); var loadedServices50 = new List<double>();
            for (var i = 0; i < context.Repeats; i++)
            {
                var (runIdle, servicesIdle) = await ReadAsync(api, run.Id, calls, ct);
                var (runLoaded, servicesLoaded, submitted) = await ReadUnderLoadAsync(api, run.Id, calls, load, ct);
                idleRun.Add(Stats.Percentile(runIdle, 99)); idleServices.Add(Stats.Percentile(servicesIdle, 99));
                loadedRun.Add(Stats.Percentile(runLoaded, 99)); loadedServices.Add(Stats.Percentile(servicesLoaded, 99));
                idleRun50.Add(Stats.Percentile(runIdle, 50)); idleServices50.Add(Stats.Percentile(servicesIdle, 50));
                loadedRun50.Add(Stats.Percentile(runLoaded, 50)); loadedServices50.Add(Stats.Percentile(servicesLoaded, 50));
                context.Progress(Name, $"round {i + 1}: run p99 idle {idleRun[^1]:0.0} / loaded {loadedRun[^1]:0.0} ms; services p99 idle " +
                    $"{idleServices[^1]:0.0} / loaded {loadedServices[^1]:0.0} ms; {submitted} runs submitted meanwhile");
            }
            Add(context, "GET /api/runs/{id}", loadedRun50, loadedRun, idleRun50, idleRun);
            Add(context, $"GET /api/services ({services})", loadedServices50, loadedServices, idleServices50, idleServices);
        }
        finally
        {
            // Stop what was started, through the API, before the server goes.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                foreach (var name in names)
                    await api.StopServiceAsync(name, cleanup.Token);
                while ((await api.ListServicesAsync(cleanup.Token)).Any(s => s.Status.State is not ("stopped" or "inactive" or "failed")))
                    await Task.Delay(200, cleanup.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // The server's own shutdown (StopJobsOnShutdown) and the leftover sweep still stop them.
            }
        }
    }

    void Add(BenchContext context, string what, List<double> loaded50, List<double> loaded99, List<double> idle50, List<double> idle99)
    {
        var p99 = Stats.Median(loaded99);
        context.Report.Add(new ResultRow($"{Name}: {what}",
            $"under load p50 {Stats.Ms(Stats.Median(loaded50))}, p99 {Stats.Ms(p99)} ({Stats.Each(loaded99, Stats.Ms)})",
            $"idle p50 {Stats.Ms(Stats.Median(idle50))}, p99 {Stats.Ms(Stats.Median(idle99))}",
            Stats.Ratio(p99 / Stats.Median(idle99)), "p99 < 20 ms under load", p99 < 20));
    }

    /// <summary>One reader alternating the two calls, <paramref name="calls"/> of each.</summary>
    static async Task<(List<double> Run, List<double> Services)> ReadAsync(HeroProcApi api, long runId, int calls, CancellationToken ct)
    {
        var run = new List<double>();
        var services = new List<double>();
        for (var i = 0; i < calls; i++)
        {
            run.Add(await api.TimeAsync(http => http.GetAsync($"/api/runs/{runId}", ct), HttpStatusCode.OK, ct));
            services.Add(await api.TimeAsync(http => http.GetAsync("/api/services", ct), HttpStatusCode.OK, ct));
        }
        return (run, services);
    }

    static async Task<(List<double> Run, List<double> Services, int Submitted)> ReadUnderLoadAsync(
        HeroProcApi api, long runId, int calls, byte[] load, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var submitted = 0;
        var submitters = Enumerable.Range(0, SubmitClients).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await api.SubmitQuietAsync(load, stop.Token);
                    Interlocked.Increment(ref submitted);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.Delay(500, ct);  // the load is up before the first read
            var (run, services) = await ReadAsync(api, runId, calls, ct);
            return (run, services, submitted);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(submitters);
        }
    }
}
