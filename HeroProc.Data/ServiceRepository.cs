using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Service definitions. Their actions live in <see cref="ActionRepository"/>.</summary>
public static class ServiceRepository
{
    const string Columns = "id, name, description, requires_json, after_json, wanted_status AS wanted_status_text, created_at, updated_at";

    public static Task<ServiceRow?> GetAsync(IDbTransaction tx, string name) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ServiceRow>(
            $"SELECT {Columns} FROM services WHERE name = @name", new { name }, tx);

    public static async Task<IReadOnlyList<ServiceRow>> ListAsync(IDbTransaction tx, string? afterName, int limit) =>
        (await tx.Connection!.QueryAsync<ServiceRow>(
            $"""
            SELECT {Columns} FROM services
            WHERE (@afterName IS NULL OR name > @afterName)
            ORDER BY name
            LIMIT @limit
            """, new { afterName, limit }, tx)).AsList();

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

    public static async Task<int> StopAllAsync(IDbTransaction tx, DateTimeOffset now) =>
        await tx.Connection!.ExecuteAsync(
            "UPDATE services SET wanted_status = 'stop', updated_at = @now WHERE wanted_status <> 'stop'", new { now }, tx);
}
