using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Service definitions. Their actions live in <see cref="ActionRepository"/>.</summary>
public static class ServiceRepository
{
    const string Columns = "id, name, description, requires_json, after_json, wanted_status AS wanted_status_text, created_at, updated_at, run_id, needs_run, reason";

    public static Task<ServiceRow?> GetAsync(IDbTransaction tx, string name) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ServiceRow>(
            $"SELECT {Columns} FROM services WHERE name = @name", new { name }, tx);

    public static async Task<IReadOnlyList<ServiceRow>> ListAsync(IDbTransaction tx, string? afterName, int limit) =>
        (await tx.Connection!.QueryAsync<ServiceRow>(
            $"""
            SELECT {Columns} FROM services
            WHERE (@afterName IS NULL OR name > @afterName)
            ORDER BY name
            LIMIT {Db.Limit("@limit")}
            """, new { afterName, limit }, tx)).AsList();

    public static async Task<IReadOnlyList<ServiceRow>> GetManyAsync(IDbTransaction tx, IReadOnlyCollection<string> names) =>
        names.Count == 0 ? [] : (await tx.Connection!.QueryAsync<ServiceRow>(
            $"SELECT {Columns} FROM services WHERE name IN @names ORDER BY name", new { names }, tx)).AsList();

    /// <summary>Every service's ordering edges, for the cycle check of a define.</summary>
    public static async Task<IReadOnlyList<ServiceRow>> ListAllAsync(IDbTransaction tx) =>
        (await tx.Connection!.QueryAsync<ServiceRow>($"SELECT {Columns} FROM services", transaction: tx)).AsList();

    public static Task<ServiceRow> UpsertAsync(
        IDbTransaction tx, string name, string? description, string requiresJson, string afterJson, DateTimeOffset now) =>
        tx.Connection!.QuerySingleAsync<ServiceRow>(
            $"""
            INSERT INTO services (name, description, requires_json, after_json, wanted_status, created_at, updated_at)
            VALUES (@name, @description, @requiresJson, @afterJson, 'stop', @now, @now)
            ON CONFLICT (name) DO UPDATE SET description = excluded.description, requires_json = excluded.requires_json,
                                             after_json = excluded.after_json, updated_at = excluded.updated_at
            RETURNING {Columns}
            """, new { name, description, requiresJson, afterJson, now }, tx);

    /// <summary>Deletes the service; its actions and events go with it (ON DELETE CASCADE).</summary>
    public static async Task<bool> DeleteAsync(IDbTransaction tx, string name) =>
        await tx.Connection!.ExecuteAsync("DELETE FROM services WHERE name = @name", new { name }, tx) == 1;

    public static async Task<int> DeleteAllAsync(IDbTransaction tx) =>
        await tx.Connection!.ExecuteAsync("DELETE FROM services", transaction: tx);

    /// <summary>Sets what the service should be; a start that needs a new run also clears an earlier failure's reason.</summary>
    public static Task SetWantedAsync(IDbTransaction tx, string name, WantedStatus wanted, bool needsRun, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            """
            UPDATE services SET wanted_status = @wanted, needs_run = @needsRun, updated_at = @now,
                                reason = CASE WHEN @needsRun THEN NULL ELSE reason END
            WHERE name = @name
            """, new { name, wanted = wanted.ToText(), needsRun, now }, tx);

    /// <summary>The run just created for the service becomes its current run.</summary>
    public static Task AttachRunAsync(IDbTransaction tx, string name, long runId) =>
        tx.Connection!.ExecuteAsync(
            "UPDATE services SET run_id = @runId, needs_run = 0, reason = NULL WHERE name = @name", new { name, runId }, tx);

    /// <summary>The service failed from outside its run (a requirement failed): it waits for no run any more.</summary>
    public static Task FailAsync(IDbTransaction tx, string name, string reason) =>
        tx.Connection!.ExecuteAsync(
            "UPDATE services SET needs_run = 0, reason = @reason WHERE name = @name", new { name, reason }, tx);

    /// <summary>The events kept per service: a crash loop must not grow the table without bound.</summary>
    const int EventsKept = 1000;

    public static async Task AddEventAsync(IDbTransaction tx, string service, string state, string? action, DateTimeOffset at, string? detail)
    {
        var id = await tx.Connection!.ExecuteScalarAsync<long?>(
            """
            INSERT INTO service_events (service_id, state, action, at, detail)
            SELECT id, @state, @action, @at, @detail FROM services WHERE name = @service
            RETURNING service_id
            """, new { service, state, action, at, detail }, tx);
        if (id is not null)
            await tx.Connection!.ExecuteAsync(
                $"""
                DELETE FROM service_events WHERE service_id = @id AND id <=
                    (SELECT id FROM service_events WHERE service_id = @id ORDER BY id DESC LIMIT 1 OFFSET {EventsKept})
                """, new { id }, tx);
    }

    public static async Task<IReadOnlyList<ServiceEventRow>> EventsAsync(IDbTransaction tx, string service) =>
        (await tx.Connection!.QueryAsync<ServiceEventRow>(
            """
            SELECT e.state, e.action, e.at, e.detail FROM service_events e JOIN services s ON s.id = e.service_id
            WHERE s.name = @service ORDER BY e.id
            """, new { service }, tx)).AsList();

    /// <summary>When each service's last recorded change happened: its status's <c>since</c>.</summary>
    public static async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastEventTimesAsync(IDbTransaction tx, IReadOnlyCollection<string> names) =>
        names.Count == 0 ? new Dictionary<string, DateTimeOffset>() : (await tx.Connection!.QueryAsync<(string Name, DateTimeOffset? At)>(
            """
            SELECT s.name, (SELECT e.at FROM service_events e WHERE e.service_id = s.id ORDER BY e.id DESC LIMIT 1)
            FROM services s WHERE s.name IN (SELECT value FROM json_each(@names))
            """, new { names = System.Text.Json.JsonSerializer.Serialize(names) }, tx))
            .Where(r => r.At is not null).ToDictionary(r => r.Name, r => r.At!.Value, StringComparer.Ordinal);

    public static async Task<int> StopAllAsync(IDbTransaction tx, DateTimeOffset now) =>
        await tx.Connection!.ExecuteAsync(
            "UPDATE services SET wanted_status = 'stop', needs_run = 0, reason = NULL, updated_at = @now WHERE wanted_status <> 'stop' OR needs_run = 1 OR reason IS NOT NULL", new { now }, tx);
}
