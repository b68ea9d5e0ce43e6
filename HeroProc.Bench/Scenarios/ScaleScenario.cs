using System.Diagnostics;
using System.Net;
using HeroProc.Data;
using Microsoft.Data.Sqlite;

namespace HeroProc.Bench.Scenarios;

/// <summary>List and get latency with 100k runs and 1M jobs stored, beside the same calls on a database holding one page of them.</summary>
public sealed class ScaleScenario : Scenario
{
    const int JobsPerRun = 10;
    const int SmallRuns = 50;

    public override string Name => "scale";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(12);

    public override string Method =>
        $"Limit: a fresh server given {SmallRuns} runs of {JobsPerRun} `true` jobs through the API (one page of each list, so both sides answer " +
        "the same sizes), all finished. HeroProc side: a data directory whose database is created by HeroProc.Data's migrations and filled " +
        "before the server starts with 100,000 finished runs and 1,000,000 jobs (one transaction, prepared inserts, the spec_json the small " +
        "server stored; no job_events or logs: none of the measured calls reads them). On each, one client times 200 calls each of " +
        "`GET /api/runs?limit=50`, `GET /api/runs/{id}` (ids spread over the whole table) and `GET /api/jobs?limit=50`; both servers " +
        "stay up and take turns, round after round, after two warm-up rounds; the median p50 is compared (ratio = large / small).";

    static readonly string[] Calls = ["GET /api/runs?limit=50", "GET /api/runs/{id}", "GET /api/jobs?limit=50"];

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var runs = context.Size(100_000);
        var calls = context.Size(200);

        await using var small = new BenchServer();
        await small.StartAsync(ct);
        var body = HeroProcApi.Body(new { name = "bench-scale", jobs = Enumerable.Range(0, JobsPerRun).Select(i => new { name = $"j{i}", script = "true" }) });
        var smallIds = new List<long>();
        for (var i = 0; i < SmallRuns; i++)
            smallIds.Add((await small.Api.SubmitAsync(body, ct)).Id);
        foreach (var id in smallIds)
            await small.Api.WaitRunFinishedAsync(id, TimeSpan.FromMilliseconds(100), ct);
        var template = RunTemplate.ReadNewest(small.DatabasePath);

        // Created (not started) first, so that its data directory is deleted even if the fill fails.
        await using var large = new BenchServer(dataDir: BenchServer.NewDataDir());
        var fill = Stopwatch.StartNew();
        var lastRunId = await FillAsync(large.DatabasePath, template, runs, ct);
        fill.Stop();
        context.Progress(Name, $"filled {runs} runs and {runs * JobsPerRun} jobs in {fill.Elapsed.TotalSeconds:0.0} s " +
            $"({new FileInfo(large.DatabasePath).Length / 1e6:0} MB)");
        var start = Stopwatch.StartNew();
        await large.StartAsync(ct);
        context.Report.Note(Name, $"the server was ready {start.Elapsed.TotalSeconds:0.0} s after its start on the large database " +
            $"(filled in {fill.Elapsed.TotalSeconds:0} s).");
        var random = new Random(42);
        var largeIds = Enumerable.Range(0, 500).Select(_ => random.NextInt64(1, lastRunId + 1)).ToList();

        // Both servers stay up, idle but for the calls, and take turns: a noisy moment on the machine hits both alike.
        var smallRounds = Calls.ToDictionary(c => c, _ => new List<(double P50, double P99)>());
        var largeRounds = Calls.ToDictionary(c => c, _ => new List<(double P50, double P99)>());
        // Warm-up, not kept: JIT, then a pause for tiered compilation to finish its background work, so that
        // the server started last (the large one) runs code as optimised as the other's; and the page cache.
        for (var warm = 0; warm < 2; warm++)
        {
            await MeasureAsync(small.Api, smallIds, calls, ct);
            await MeasureAsync(large.Api, largeIds, calls, ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        for (var round = 0; round < context.Repeats; round++)
        {
            var smallRound = await MeasureAsync(small.Api, smallIds, calls, ct);
            var largeRound = await MeasureAsync(large.Api, largeIds, calls, ct);
            foreach (var call in Calls)
            {
                smallRounds[call].Add(smallRound[call]);
                largeRounds[call].Add(largeRound[call]);
            }
        }

        foreach (var call in Calls)
        {
            var largeP50 = Stats.Median(largeRounds[call].Select(m => m.P50).ToList());
            var smallP50 = Stats.Median(smallRounds[call].Select(m => m.P50).ToList());
            var ratio = largeP50 / smallP50;
            context.Report.Add(new ResultRow($"{Name}: {call}",
                $"p50 {Stats.Ms(largeP50)}, p99 {Stats.Ms(Stats.Median(largeRounds[call].Select(m => m.P99).ToList()))} ({runs / 1000}k runs)",
                $"p50 {Stats.Ms(smallP50)}, p99 {Stats.Ms(Stats.Median(smallRounds[call].Select(m => m.P99).ToList()))} ({SmallRuns} runs)",
                Stats.Ratio(ratio), "ratio ≤ 2", ratio <= 2));
        }
    }

    /// <summary>One round: p50 and p99 of each call, the calls interleaved so that each sees the same moments.</summary>
    static async Task<Dictionary<string, (double P50, double P99)>> MeasureAsync(HeroProcApi api, List<long> runIds, int calls, CancellationToken ct)
    {
        var samples = Calls.ToDictionary(c => c, _ => new List<double>());
        for (var i = 0; i < calls; i++)
        {
            samples[Calls[0]].Add(await api.TimeAsync(http => http.GetAsync("/api/runs?limit=50", ct), HttpStatusCode.OK, ct));
            var id = runIds[i % runIds.Count];
            samples[Calls[1]].Add(await api.TimeAsync(http => http.GetAsync($"/api/runs/{id}", ct), HttpStatusCode.OK, ct));
            samples[Calls[2]].Add(await api.TimeAsync(http => http.GetAsync("/api/jobs?limit=50", ct), HttpStatusCode.OK, ct));
        }
        return samples.ToDictionary(p => p.Key, p => (Stats.Percentile(p.Value, 50), Stats.Percentile(p.Value, 99)));
    }

    /// <summary>
    /// Creates the database with the server's own migrations and writes finished runs with their jobs in one
    /// transaction with prepared commands; the runs' times are spread over the last week. Returns the last run id.
    /// </summary>
    static async Task<long> FillAsync(string path, RunTemplate template, int runs, CancellationToken ct)
    {
        using var db = new Db(path, Durability.Normal);
        await db.MigrateAsync(ct);
        await using var connection = await db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction(deferred: false);
        using var insertRun = connection.CreateCommand();
        insertRun.Transaction = tx;
        insertRun.CommandText =
            "INSERT INTO runs (id, name, status, tags_json, env_json, created_at, started_at, finished_at) " +
            "VALUES ($id, $name, 'succeeded', $tags, $env, $created, $started, $finished)";
        var runParams = new[] { "$id", "$name", "$tags", "$env", "$created", "$started", "$finished" }
            .ToDictionary(n => n, n => insertRun.Parameters.Add(new SqliteParameter(n, DBNull.Value)));
        insertRun.Prepare();
        using var insertJob = connection.CreateCommand();
        insertJob.Transaction = tx;
        insertJob.CommandText =
            "INSERT INTO jobs (id, run_id, name, status, attempt, exit_code, depends_on_json, spec_json, kind, created_at, started_at, finished_at, attempt_started_at) " +
            "VALUES ($id, $run, $name, 'succeeded', 1, 0, $deps, $spec, $kind, $created, $started, $finished, $started)";
        var jobParams = new[] { "$id", "$run", "$name", "$deps", "$spec", "$kind", "$created", "$started", "$finished" }
            .ToDictionary(n => n, n => insertJob.Parameters.Add(new SqliteParameter(n, DBNull.Value)));
        insertJob.Prepare();

        var first = DateTimeOffset.UtcNow - TimeSpan.FromDays(7);
        var step = TimeSpan.FromDays(7) / runs;
        long jobId = 0;
        for (long runId = 1; runId <= runs; runId++)
        {
            ct.ThrowIfCancellationRequested();
            var created = first + step * runId;
            var (c, s, f) = (UtcTime.Format(created), UtcTime.Format(created.AddMilliseconds(5)), UtcTime.Format(created.AddMilliseconds(40)));
            runParams["$id"].Value = runId;
            runParams["$name"].Value = (object?)template.Name ?? DBNull.Value;
            runParams["$tags"].Value = template.TagsJson;
            runParams["$env"].Value = template.EnvJson;
            runParams["$created"].Value = c;
            runParams["$started"].Value = s;
            runParams["$finished"].Value = f;
            insertRun.ExecuteNonQuery();
            foreach (var job in template.Jobs)
            {
                jobParams["$id"].Value = ++jobId;
                jobParams["$run"].Value = runId;
                jobParams["$name"].Value = job.Name;
                jobParams["$deps"].Value = job.DependsOnJson;
                jobParams["$spec"].Value = job.SpecJson;
                jobParams["$kind"].Value = job.Kind;
                jobParams["$created"].Value = c;
                jobParams["$started"].Value = s;
                jobParams["$finished"].Value = f;
                insertJob.ExecuteNonQuery();
            }
        }
        await tx.CommitAsync(ct);
        // The AUTOINCREMENT counters follow explicit ids by themselves (sqlite_sequence), so new runs continue after these.
        return runs;
    }
}
