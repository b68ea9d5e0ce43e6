using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Runs with their jobs: a run is always written and deleted whole.</summary>
public static class RunRepository
{
    public const string Columns =
        "id, name, service, schedule, retry_of, status AS status_text, tags_json, env_json, max_parallel, created_at, started_at, finished_at, cancel_requested";

    /// <summary>Inserts the run, its jobs and each job's first <c>pending</c> event.</summary>
    public static async Task<long> InsertAsync(IDbTransaction tx, RunRow run, IReadOnlyList<JobRow> jobs, DateTimeOffset now)
    {
        if (jobs.Count == 0)
            throw new ArgumentException("A run has at least one job.", nameof(jobs));
        var connection = tx.Connection!;
        var runId = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO runs (name, service, schedule, retry_of, status, tags_json, env_json, max_parallel, created_at)
            VALUES (@Name, @Service, @Schedule, @RetryOf, @Status, @TagsJson, @EnvJson, @MaxParallel, @now)
            RETURNING id
            """, new { run.Name, run.Service, run.Schedule, run.RetryOf, Status = run.Status.ToText(), run.TagsJson, run.EnvJson, run.MaxParallel, now }, tx);
        await connection.ExecuteAsync(
            """
            INSERT INTO jobs (run_id, name, action, status, attempt, depends_on_json, spec_json, kind, created_at)
            VALUES (@runId, @Name, @Action, @Status, @Attempt, @DependsOnJson, @SpecJson, @Kind, @now)
            """, jobs.Select(j => new { runId, j.Name, j.Action, Status = j.Status.ToText(), j.Attempt, j.DependsOnJson, j.SpecJson, j.Kind, now }), tx);
        await connection.ExecuteAsync(
            """
            INSERT INTO job_events (job_id, status, attempt, at, detail)
            SELECT id, status, attempt, @now, NULL FROM jobs WHERE run_id = @runId ORDER BY id
            """, new { runId, now }, tx);
        return runId;
    }

    public static async Task<IReadOnlyList<RunRow>> GetManyAsync(IDbTransaction tx, IReadOnlyCollection<long> ids) =>
        ids.Count == 0 ? [] : (await tx.Connection!.QueryAsync<RunRow>(
            $"SELECT {Columns} FROM runs WHERE id IN (SELECT value FROM json_each(@ids))",
            new { ids = "[" + string.Join(",", ids) + "]" }, tx)).AsList();

    public static Task<RunRow?> GetAsync(IDbTransaction tx, long id) =>
        tx.Connection!.QuerySingleOrDefaultAsync<RunRow>($"SELECT {Columns} FROM runs WHERE id = @id", new { id }, tx);

    /// <summary>One page, newest first, with keyset paging on the id.</summary>
    public static async Task<IReadOnlyList<RunRow>> ListAsync(IDbTransaction tx, RunFilter filter, long? beforeId, int limit)
    {
        var where = new List<string>();
        if (beforeId is not null) where.Add("id < @beforeId");
        if (filter.Status is not null) where.Add("status = @Status");
        if (filter.Service is not null) where.Add("service = @Service");
        if (filter.Schedule is not null) where.Add("schedule = @Schedule");
        if (filter.Since is not null) where.Add("created_at >= @Since");
        if (filter.Tag is not null) where.Add("EXISTS (SELECT 1 FROM json_each(runs.tags_json) t WHERE t.value = @Tag)");
        var sql = $"SELECT {Columns} FROM runs {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY id DESC LIMIT {Db.Limit("@limit")}";
        return (await tx.Connection!.QueryAsync<RunRow>(
            sql, new { beforeId, Status = filter.Status?.ToText(), filter.Service, filter.Schedule, filter.Since, filter.Tag, limit }, tx)).AsList();
    }

    /// <summary>Ids of the runs not finished yet (pending or running), through the status index.</summary>
    public static async Task<IReadOnlyList<long>> UnfinishedIdsAsync(IDbTransaction tx) =>
        (await tx.Connection!.QueryAsync<long>(
            "SELECT id FROM runs WHERE status IN ('pending', 'running') ORDER BY id", transaction: tx)).AsList();

    /// <summary>Ids of the services' runs not finished yet.</summary>
    public static async Task<IReadOnlyList<long>> UnfinishedServiceRunIdsAsync(IDbTransaction tx) =>
        (await tx.Connection!.QueryAsync<long>(
            "SELECT id FROM runs WHERE service IS NOT NULL AND status IN ('pending', 'running') ORDER BY id", transaction: tx)).AsList();

    public static async Task<IReadOnlyList<JobCountRow>> JobCountsAsync(IDbTransaction tx, IReadOnlyCollection<long> runIds) =>
        runIds.Count == 0
            ? []
            : (await tx.Connection!.QueryAsync<JobCountRow>(
                "SELECT run_id, status AS status_text, count FROM run_job_counts WHERE run_id IN (SELECT value FROM json_each(@ids)) AND count > 0",
                new { ids = "[" + string.Join(",", runIds) + "]" }, tx)).AsList();

    /// <summary>Deletes a finished run whole; false when it is unfinished (the caller tells 404 from 409).</summary>
    public static async Task<bool> DeleteFinishedAsync(IDbTransaction tx, long id) =>
        await tx.Connection!.ExecuteAsync(
            "DELETE FROM runs WHERE id = @id AND status IN @finished",
            new { id, finished = StatusSets.FinishedRun.Select(s => s.ToText()) }, tx) == 1;

    /// <summary>
    /// Deletes one batch of finished runs matching the filter, oldest first, each whole with its jobs,
    /// events, log chunks and keys: at most <paramref name="maxRuns"/> runs and, past the first run, at
    /// most <paramref name="maxJobs"/> jobs, so one transaction never holds the write lock for long.
    /// Returns how many runs went and their jobs' ids (whose files the caller deletes after the commit).
    /// </summary>
    public static async Task<(int Runs, IReadOnlyList<long> JobIds)> DeleteFinishedBatchAsync(
        IDbTransaction tx, IReadOnlyCollection<RunStatus> statuses, DateTimeOffset? finishedBefore, int maxRuns, int maxJobs)
    {
        var connection = tx.Connection!;
        var candidates = (await connection.QueryAsync<(long Id, int Jobs)>(
            $"""
            SELECT id, (SELECT COUNT(*) FROM jobs WHERE jobs.run_id = runs.id) FROM runs
            WHERE status IN @statuses AND finished_at IS NOT NULL
              AND (@finishedBefore IS NULL OR finished_at < @finishedBefore)
            ORDER BY id
            LIMIT {Db.Limit("@maxRuns")}
            """, new { statuses = statuses.Select(s => s.ToText()), finishedBefore, maxRuns }, tx)).AsList();
        var runIds = new List<long>();
        var jobs = 0;
        foreach (var (id, count) in candidates)
        {
            if (runIds.Count > 0 && jobs + count > maxJobs)
                break;
            runIds.Add(id);
            jobs += count;
        }
        if (runIds.Count == 0)
            return (0, []);
        var jobIds = (await connection.QueryAsync<long>("SELECT id FROM jobs WHERE run_id IN @runIds", new { runIds }, tx)).AsList();
        var runs = await connection.ExecuteAsync("DELETE FROM runs WHERE id IN @runIds", new { runIds }, tx);
        return (runs, jobIds);
    }

    public static async Task<(int Runs, int Jobs)> DeleteAllAsync(IDbTransaction tx)
    {
        var jobs = await tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM jobs", transaction: tx);
        var runs = await tx.Connection!.ExecuteAsync("DELETE FROM runs", transaction: tx);
        return (runs, jobs);
    }
}

public sealed record RunFilter(RunStatus? Status, string? Service, string? Schedule, string? Tag, DateTimeOffset? Since);
