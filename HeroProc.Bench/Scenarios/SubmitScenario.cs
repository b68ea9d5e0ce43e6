using System.Diagnostics;
using HeroProc.Data;
using Microsoft.Data.Sqlite;

namespace HeroProc.Bench.Scenarios;

/// <summary>
/// How many 10-job runs per second the server accepts over HTTP from 8 concurrent clients, beside
/// what SQLite itself can commit of the same rows with the same durability.
/// </summary>
public sealed class SubmitScenario : Scenario
{
    const int Clients = 8;
    const int JobsPerRun = 10;

    public override string Name => "submit";
    public override TimeSpan Deadline => TimeSpan.FromMinutes(4);

    public override string Method =>
        $"{Clients} concurrent HTTP clients POST /api/runs (10 inline `true` jobs, no idempotency key) in a closed loop for a fixed time, " +
        "with the server paused (`POST /api/system/pause`) so that the runs are stored but not executed. Limit: a temporary database " +
        "created by HeroProc.Data's migrations, opened through HeroProc.Data's `Db` (so the same pragmas: WAL, `synchronous=FULL`, which syncs each commit to disk as the " +
        "server's answered writes are, " +
        $"foreign keys), {Clients} writer tasks each committing `BEGIN IMMEDIATE`; INSERT the run, its 10 jobs and their 10 `pending` " +
        "job_events (the SQL of `RunRepository.InsertAsync`, with the spec_json the server stored); COMMIT, with prepared commands on " +
        "open connections, for the same time, once with the writers contending through SQLite's busy handler (`busy_timeout`) and once " +
        "queued on an in-process lock (the server's `Db` queues its writers too, and commits those that queued together at once); the faster of the two is the round's limit. The sides alternate, " +
        "each repeated; medians are judged. The ratio is HeroProc runs/s over raw runs/s.";

    public override async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var duration = TimeSpan.FromSeconds(context.Quick ? 1 : 5);
        await using var server = new BenchServer();
        await server.StartAsync(ct);
        await server.Api.PauseAsync(ct);
        var body = HeroProcApi.Body(new
        {
            name = "bench-submit",
            jobs = Enumerable.Range(0, JobsPerRun).Select(i => new { name = $"j{i}", script = "true" }),
        });

        // Warm-up: JIT, the connection pool, SQLite's page cache. Not measured.
        await SubmitLoadAsync(server.Api, body, duration / 2, ct);
        var template = RunTemplate.ReadNewest(server.DatabasePath);

        var rawDir = BenchServer.NewDataDir();
        try
        {
            await using var raw = await RawRunWriter.CreateAsync(Path.Combine(rawDir, "raw.db"), template, Clients, ct);
            await raw.RunAsync(duration / 2, gate: false, ct);  // its warm-up
            await raw.RunAsync(duration / 2, gate: true, ct);

            var heroRates = new List<double>();
            var p50s = new List<double>();
            var p99s = new List<double>();
            var rawRates = new List<double>();
            var rawP50s = new List<double>();
            var rawP99s = new List<double>();
            var rawWays = new List<string>();
            var serverCpu = new List<double>();
            var clientCpu = new List<double>();
            for (var i = 0; i < context.Repeats; i++)
            {
                // Interleaved, so that a noisy moment on the machine hits both sides alike.
                var before = (Server: server.Cpu().Own, Client: Process.GetCurrentProcess().TotalProcessorTime);
                var (runs, elapsed, latencies) = await SubmitLoadAsync(server.Api, body, duration, ct);
                serverCpu.Add((server.Cpu().Own - before.Server).TotalMilliseconds / runs);
                clientCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - before.Client).TotalMilliseconds / runs);
                heroRates.Add(runs / elapsed.TotalSeconds);
                p50s.Add(Stats.Percentile(latencies, 50));
                p99s.Add(Stats.Percentile(latencies, 99));

                // Two ways for 8 writers to wait for SQLite's one write lock: its busy handler (sleeps, unfair) or an
                // in-process queue (as the server's Db does). Neither wins every time here, so the limit is the faster.
                var busy = await raw.RunAsync(duration, gate: false, ct);
                var queued = await raw.RunAsync(duration, gate: true, ct);
                var (busyRate, queuedRate) = (busy.Runs / busy.Elapsed.TotalSeconds, queued.Runs / queued.Elapsed.TotalSeconds);
                var best = busyRate >= queuedRate ? busy : queued;
                rawRates.Add(Math.Max(busyRate, queuedRate));
                rawWays.Add(busyRate >= queuedRate ? "busy handler" : "queued");
                rawP50s.Add(Stats.Percentile(best.Latencies, 50));
                rawP99s.Add(Stats.Percentile(best.Latencies, 99));
                context.Progress(Name, $"round {i + 1}: {heroRates[^1]:0} runs/s (p50 {p50s[^1]:0.0} ms, p99 {p99s[^1]:0.0} ms); " +
                    $"raw {busyRate:0} runs/s through the busy handler, {queuedRate:0} queued (p50 {rawP50s[^1]:0.0} ms, p99 {rawP99s[^1]:0.0} ms for the faster)");
            }

            var hero = Stats.Median(heroRates);
            var limit = Stats.Median(rawRates);
            var ratio = hero / limit;
            context.Report.Add(new ResultRow(Name + " (throughput)", $"{hero:0} runs/s ({Stats.Each(heroRates, v => Stats.Number(v))})",
                $"{limit:0} runs/s ({Stats.Each(rawRates, v => Stats.Number(v))})", Stats.Ratio(ratio), "ratio ≥ 0.3", ratio >= 0.3));
            var p99 = Stats.Median(p99s);
            context.Report.Add(new ResultRow(Name + " (latency)", $"p50 {Stats.Ms(Stats.Median(p50s))}, p99 {Stats.Ms(p99)} (p99s {Stats.Each(p99s, Stats.Ms)})",
                $"raw, 8 writers: p50 {Stats.Ms(Stats.Median(rawP50s))}, p99 {Stats.Ms(Stats.Median(rawP99s))}", "—", "p99 < 25 ms", p99 < 25));
            context.Report.Note(Name, $"the raw limit of each round is the faster of SQLite's busy handler and an in-process queue: {string.Join(", ", rawWays)}.");
            // Little's law: a closed loop of N clients has a mean latency of N / throughput, whatever the server does per request.
            context.Report.Note(Name, $"each submit is one write transaction of its own ({1 + 2 * JobsPerRun} rows), answered after its commit; " +
                $"{Clients} clients in a closed loop wait {Clients} / throughput on average: {1000.0 * Clients / hero:0.0} ms at {hero:0} runs/s. " +
                $"A p99 under 25 ms needs a mean well under it, so well over {Clients * 1000 / 25} runs/s; raw SQLite commits {limit:0} runs/s here " +
                $"with the same durability ({(BenchServer.Durability == Durability.Full ? "each commit on disk before it is answered: synchronous=FULL" : "synchronous=NORMAL")}), one transaction each.");
            context.Report.Note(Name, $"CPU per submitted run (median of repeats): the server {Stats.Median(serverCpu):0.00} ms, the bench's own clients " +
                $"{Stats.Median(clientCpu):0.00} ms, on {Environment.ProcessorCount} cores shared by both.");
            var (single, singleElapsed, singleLatencies) = await SubmitLoadAsync(server.Api, body, duration / 2, ct, clients: 1);
            context.Report.Note(Name, $"one client alone: {single / singleElapsed.TotalSeconds:0} runs/s, p50 {Stats.Ms(Stats.Percentile(singleLatencies, 50))}, " +
                $"p99 {Stats.Ms(Stats.Percentile(singleLatencies, 99))}.");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(rawDir, recursive: true);
        }
    }

    /// <summary>Submits from <paramref name="clients"/> concurrent clients for <paramref name="duration"/>; each request's latency is kept.</summary>
    static async Task<(int Runs, TimeSpan Elapsed, List<double> Latencies)> SubmitLoadAsync(
        HeroProcApi api, byte[] body, TimeSpan duration, CancellationToken ct, int clients = Clients)
    {
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                var t0 = Stopwatch.GetTimestamp();
                await api.SubmitQuietAsync(body, ct);
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            return latencies;
        }, ct)).ToList();
        var all = (await Task.WhenAll(tasks)).SelectMany(l => l).ToList();
        return (all.Count, Stopwatch.GetElapsedTime(started), all);
    }
}

/// <summary>The rows the server wrote for one submit, read back so that the raw writer inserts the very same values.</summary>
public sealed record RunTemplate(string? Name, string TagsJson, string EnvJson, IReadOnlyList<(string Name, string DependsOnJson, string SpecJson, string Kind)> Jobs)
{
    public static RunTemplate ReadNewest(string databasePath)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var runQuery = connection.CreateCommand();
        runQuery.CommandText = "SELECT id, name, tags_json, env_json FROM runs ORDER BY id DESC LIMIT 1";
        long runId;
        string? name;
        string tags, env;
        using (var reader = runQuery.ExecuteReader())
        {
            if (!reader.Read())
                throw new InvalidOperationException("the server stored no run");
            (runId, name, tags, env) = (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetString(3));
        }
        using var jobQuery = connection.CreateCommand();
        jobQuery.CommandText = "SELECT name, depends_on_json, spec_json, kind FROM jobs WHERE run_id = $run ORDER BY id";
        jobQuery.Parameters.AddWithValue("$run", runId);
        var jobs = new List<(string, string, string, string)>();
        using (var reader = jobQuery.ExecuteReader())
        {
            while (reader.Read())
                jobs.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return new RunTemplate(name, tags, env, jobs);
    }
}

/// <summary>
/// The limit side of submit: raw Microsoft.Data.Sqlite transactions writing what
/// <c>RunRepository.InsertAsync</c> writes, on connections opened by HeroProc.Data's <c>Db</c>.
/// </summary>
sealed class RawRunWriter : IAsyncDisposable
{
    readonly RunTemplate _template;
    readonly List<SqliteConnection> _connections;
    readonly SemaphoreSlim _gate = new(1, 1);

    RawRunWriter(RunTemplate template, List<SqliteConnection> connections) => (_template, _connections) = (template, connections);

    public static async Task<RawRunWriter> CreateAsync(string path, RunTemplate template, int writers, CancellationToken ct)
    {
        using var db = new Db(path, BenchServer.Durability);  // only for the schema: the writers use connections of their own
        await db.MigrateAsync(ct);
        var connections = new List<SqliteConnection>();
        for (var i = 0; i < writers; i++)
            connections.Add(await db.OpenAsync(ct));
        return new RawRunWriter(template, connections);
    }

    /// <param name="gate">Queue the writers on an in-process lock (as the server's Db does) instead of SQLite's busy handler.</param>
    /// <returns>Runs committed, the time taken, and each transaction's latency (queueing included) in milliseconds.</returns>
    public async Task<(int Runs, TimeSpan Elapsed, List<double> Latencies)> RunAsync(TimeSpan duration, bool gate, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var writers = _connections.Select(connection => Task.Run(async () =>
        {
            using var insertRun = Command(connection,
                "INSERT INTO runs (name, service, schedule, retry_of, status, tags_json, env_json, max_parallel, created_at) " +
                "VALUES ($name, NULL, NULL, NULL, 'pending', $tags, $env, NULL, $now) RETURNING id",
                "$name", "$tags", "$env", "$now");
            using var insertJob = Command(connection,
                "INSERT INTO jobs (run_id, name, action, status, attempt, depends_on_json, spec_json, kind, created_at) " +
                "VALUES ($run, $name, NULL, 'pending', 1, $deps, $spec, $kind, $now)",
                "$run", "$name", "$deps", "$spec", "$kind", "$now");
            using var insertEvents = Command(connection,
                "INSERT INTO job_events (job_id, status, attempt, at, detail) SELECT id, status, attempt, $now, NULL FROM jobs WHERE run_id = $run ORDER BY id",
                "$now", "$run");
            var latencies = new List<double>();
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (gate)
                    await _gate.WaitAsync(ct);
                try
                {
                    InsertOne(connection, insertRun, insertJob, insertEvents);
                }
                finally
                {
                    if (gate)
                        _gate.Release();
                }
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            return latencies;
        }, ct)).ToList();
        var all = (await Task.WhenAll(writers)).SelectMany(l => l).ToList();
        return (all.Count, Stopwatch.GetElapsedTime(started), all);
    }

    void InsertOne(SqliteConnection connection, SqliteCommand insertRun, SqliteCommand insertJob, SqliteCommand insertEvents)
    {
        var now = UtcTime.Format(DateTimeOffset.UtcNow);
        using var tx = connection.BeginTransaction(deferred: false);  // BEGIN IMMEDIATE
        insertRun.Transaction = insertJob.Transaction = insertEvents.Transaction = tx;
        insertRun.Parameters["$name"].Value = (object?)_template.Name ?? DBNull.Value;
        insertRun.Parameters["$tags"].Value = _template.TagsJson;
        insertRun.Parameters["$env"].Value = _template.EnvJson;
        insertRun.Parameters["$now"].Value = now;
        var runId = (long)insertRun.ExecuteScalar()!;
        foreach (var job in _template.Jobs)
        {
            insertJob.Parameters["$run"].Value = runId;
            insertJob.Parameters["$name"].Value = job.Name;
            insertJob.Parameters["$deps"].Value = job.DependsOnJson;
            insertJob.Parameters["$spec"].Value = job.SpecJson;
            insertJob.Parameters["$kind"].Value = job.Kind;
            insertJob.Parameters["$now"].Value = now;
            insertJob.ExecuteNonQuery();
        }
        insertEvents.Parameters["$now"].Value = now;
        insertEvents.Parameters["$run"].Value = runId;
        insertEvents.ExecuteNonQuery();
        tx.Commit();
    }

    static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        command.Prepare();
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
            await connection.DisposeAsync();
        _gate.Dispose();
    }
}
