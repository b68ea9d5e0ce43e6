using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Jobs and their state history.</summary>
public static class JobRepository
{
    public const string Columns =
        """
        id, run_id, name, action, status AS status_text, attempt, pid, exit_code, signal, error, depends_on_json, spec_json,
        created_at, started_at, finished_at, stop_requested, next_attempt_at, attempt_started_at, pid_start_time, shim_pid,
        shim_start_time, boot_id, spool_segment, spool_offset, carry_stdout, carry_stderr, log_seq, log_bytes, log_dropped_lines,
        kind, ready_at, health, restart_streak, last_exit_code
        """;

    public static Task<JobRow?> GetAsync(IDbTransaction tx, long id) =>
        tx.Connection!.QuerySingleOrDefaultAsync<JobRow>($"SELECT {Columns} FROM jobs WHERE id = @id", new { id }, tx);

    /// <summary>Several jobs by id, in one statement (the change publisher's read); missing ids are left out.</summary>
    public static async Task<IReadOnlyList<JobRow>> GetManyAsync(IDbTransaction tx, IReadOnlyCollection<long> ids) =>
        ids.Count == 0 ? [] : (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {Columns} FROM jobs WHERE id IN (SELECT value FROM json_each(@ids)) ORDER BY id",
            new { ids = "[" + string.Join(",", ids) + "]" }, tx)).AsList();

    public static async Task<IReadOnlyList<JobRow>> ListByRunAsync(IDbTransaction tx, long runId) =>
        (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {Columns} FROM jobs WHERE run_id = @runId ORDER BY id", new { runId }, tx)).AsList();

    /// <summary>One page, newest first, with keyset paging on the id.</summary>
    public static async Task<IReadOnlyList<JobRow>> ListAsync(IDbTransaction tx, JobFilter filter, long? beforeId, int limit)
    {
        var where = new List<string>();
        if (beforeId is not null) where.Add("id < @beforeId");
        if (filter.RunId is not null) where.Add("run_id = @RunId");
        if (filter.Status is not null) where.Add("status = @Status");
        if (filter.Action is not null) where.Add("action = @Action");
        var sql = $"SELECT {Columns} FROM jobs {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY id DESC LIMIT {Db.Limit("@limit")}";
        return (await tx.Connection!.QueryAsync<JobRow>(
            sql, new { beforeId, filter.RunId, Status = filter.Status?.ToText(), filter.Action, limit }, tx)).AsList();
    }

    /// <summary>The jobs of several runs at once (a services status call), in id order.</summary>
    public static async Task<IReadOnlyList<JobRow>> ListByRunsAsync(IDbTransaction tx, IReadOnlyCollection<long> runIds) =>
        runIds.Count == 0 ? [] : (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {Columns} FROM jobs WHERE run_id IN (SELECT value FROM json_each(@ids)) ORDER BY id",
            new { ids = "[" + string.Join(",", runIds) + "]" }, tx)).AsList();

    public static async Task<IReadOnlyList<JobEventRow>> EventsAsync(IDbTransaction tx, long jobId) =>
        (await tx.Connection!.QueryAsync<JobEventRow>(
            "SELECT id, job_id, status AS status_text, attempt, at, detail FROM job_events WHERE job_id = @jobId ORDER BY id",
            new { jobId }, tx)).AsList();
}

public sealed record JobFilter(long? RunId, JobStatus? Status, string? Action);
