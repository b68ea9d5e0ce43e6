using Dapper;
using HeroProc.Api.Supervision;
using HeroProc.Data;
using Prometheus;

namespace HeroProc.Api.SystemEndpoints;

/// <summary>
/// What <c>/metrics</c> exposes, in Prometheus text format (prometheus-net). Counts by status, running
/// processes and the database size are read at scrape time; durations and log bytes are counted as
/// they happen. Each server has its own registry, so two servers in one process (the tests) never mix.
/// </summary>
public sealed class ServerMetrics
{
    readonly Gauge _runs, _jobs, _runningProcesses, _databaseBytes;

    public ServerMetrics(Db db, ActiveAttempts active)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _runs = factory.CreateGauge("heroproc_runs", "Runs by status.", "status");
        _jobs = factory.CreateGauge("heroproc_jobs", "Jobs by status.", "status");
        _runningProcesses = factory.CreateGauge("heroproc_running_processes", "Job attempts whose processes run now.");
        _databaseBytes = factory.CreateGauge("heroproc_database_bytes", "Size of the SQLite database and its WAL.");
        JobDuration = factory.CreateHistogram("heroproc_job_duration_seconds", "From a job's first start to its final status.",
            new HistogramConfiguration { LabelNames = ["status"], Buckets = Histogram.ExponentialBuckets(0.01, 4, 10) });
        LogBytesIngested = factory.CreateCounter("heroproc_log_bytes_ingested_total", "Job output stored.");
        LogBytesDropped = factory.CreateCounter("heroproc_log_bytes_dropped_total", "Stored job output dropped by retention.");
        ServiceRestarts = factory.CreateCounter("heroproc_service_restarts_total", "Restarts of service processes.", "service");

        Registry.AddBeforeCollectCallback(async ct =>
        {
            var (runs, jobs) = await db.ReadAsync(async tx => (
                await tx.Connection!.QueryAsync<(string Status, long Count)>("SELECT status, COUNT(*) FROM runs GROUP BY status", transaction: tx),
                await tx.Connection!.QueryAsync<(string Status, long Count)>("SELECT status, COUNT(*) FROM jobs GROUP BY status", transaction: tx)), ct);
            Set(_runs, EnumText<RunStatus>.Names, runs);
            Set(_jobs, EnumText<JobStatus>.Names, jobs);
            _runningProcesses.Set(active.All.Count(a => a.ProcessRunning));
            _databaseBytes.Set(db.SizeBytes());
        });
    }

    public CollectorRegistry Registry { get; }
    public Histogram JobDuration { get; }
    public Counter LogBytesIngested { get; }
    public Counter LogBytesDropped { get; }
    public Counter ServiceRestarts { get; }

    static void Set(Gauge gauge, IEnumerable<string> statuses, IEnumerable<(string Status, long Count)> counts)
    {
        var byStatus = counts.ToDictionary(c => c.Status, c => c.Count);
        foreach (var status in statuses)
            gauge.WithLabels(status).Set(byStatus.GetValueOrDefault(status));
    }
}

public static class MetricsApi
{
    public static IEndpointRouteBuilder MapServerMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", Scrape).WithTags("System")
            .WithSummary("Prometheus text format: runs and jobs by status, job durations, processes, log bytes, database size, HTTP requests.")
            .Produces(200, contentType: "text/plain");
        return routes;
    }

    public static async Task Scrape(HttpContext context, ServerMetrics metrics)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }
}
