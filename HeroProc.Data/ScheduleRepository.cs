using System.Data;
using Dapper;

namespace HeroProc.Data;

public sealed record ScheduleRow
{
    public long Id { get; init; }
    public required string Name { get; init; }
    public required string SpecJson { get; init; }
    public bool Enabled { get; init; }
    /// <summary>The last tick that was handled (fired, skipped or missed): the next one is searched after it.</summary>
    public DateTimeOffset? LastTickAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public long? LastRunId { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Cron schedules. A tick advances <c>last_tick_at</c> compare-and-set, in the transaction that creates its run.</summary>
public static class ScheduleRepository
{
    const string Columns = "id, name, spec_json, enabled, last_tick_at, last_run_at, last_run_id, last_error, created_at, updated_at";

    public static Task<ScheduleRow?> GetAsync(IDbTransaction tx, string name) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ScheduleRow>($"SELECT {Columns} FROM schedules WHERE name = @name", new { name }, tx);

    public static async Task<IReadOnlyList<ScheduleRow>> ListAsync(IDbTransaction tx, string? afterName, int limit) =>
        (await tx.Connection!.QueryAsync<ScheduleRow>(
            $"SELECT {Columns} FROM schedules WHERE (@afterName IS NULL OR name > @afterName) ORDER BY name LIMIT {Db.Limit("@limit")}",
            new { afterName, limit }, tx)).AsList();

    public static async Task<IReadOnlyList<ScheduleRow>> ListEnabledAsync(IDbTransaction tx) =>
        (await tx.Connection!.QueryAsync<ScheduleRow>($"SELECT {Columns} FROM schedules WHERE enabled = 1", transaction: tx)).AsList();

    /// <summary>Creates or replaces; a replaced schedule counts its ticks from now, keeping its last run.</summary>
    public static async Task<(ScheduleRow Row, bool Created)> UpsertAsync(IDbTransaction tx, string name, string specJson, bool enabled, DateTimeOffset now)
    {
        var existed = await GetAsync(tx, name) is not null;
        var row = await tx.Connection!.QuerySingleAsync<ScheduleRow>(
            $"""
            INSERT INTO schedules (name, spec_json, enabled, last_tick_at, created_at, updated_at)
            VALUES (@name, @specJson, @enabled, @now, @now, @now)
            ON CONFLICT (name) DO UPDATE SET spec_json = excluded.spec_json, enabled = excluded.enabled,
                                             last_tick_at = excluded.last_tick_at, last_error = NULL, updated_at = excluded.updated_at
            RETURNING {Columns}
            """, new { name, specJson, enabled, now }, tx);
        return (row, !existed);
    }

    public static async Task<bool> DeleteAsync(IDbTransaction tx, string name) =>
        await tx.Connection!.ExecuteAsync("DELETE FROM schedules WHERE name = @name", new { name }, tx) == 1;

    /// <summary>Moves the schedule past <paramref name="tick"/>, if no one else did: false means the tick was handled already.</summary>
    public static async Task<bool> AdvanceTickAsync(IDbTransaction tx, string name, DateTimeOffset? expected, DateTimeOffset tick) =>
        await tx.Connection!.ExecuteAsync(
            "UPDATE schedules SET last_tick_at = @tick WHERE name = @name AND last_tick_at IS @expected",
            new { name, expected, tick }, tx) == 1;

    public static Task RecordRunAsync(IDbTransaction tx, string name, long runId, DateTimeOffset at) =>
        tx.Connection!.ExecuteAsync(
            "UPDATE schedules SET last_run_at = @at, last_run_id = @runId, last_error = NULL WHERE name = @name", new { name, runId, at }, tx);

    public static Task RecordErrorAsync(IDbTransaction tx, string name, string error) =>
        tx.Connection!.ExecuteAsync("UPDATE schedules SET last_error = @error WHERE name = @name", new { name, error }, tx);
}
