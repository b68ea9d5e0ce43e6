using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Stored action specs: standalone ones, and a service's own ones named '&lt;service&gt;.&lt;action&gt;'.</summary>
public static class ActionRepository
{
    const string Columns = "id, name, service, position, spec_json, tags_json, created_at, updated_at";

    public static Task<ActionRow?> GetAsync(IDbTransaction tx, string name) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ActionRow>(
            $"SELECT {Columns} FROM actions WHERE name = @name", new { name }, tx);

    public static async Task<IReadOnlyList<ActionRow>> GetManyAsync(IDbTransaction tx, IReadOnlyCollection<string> names) =>
        names.Count == 0
            ? []
            : (await tx.Connection!.QueryAsync<ActionRow>(
                $"SELECT {Columns} FROM actions WHERE name IN @names", new { names }, tx)).AsList();

    /// <summary>One page by name, after <paramref name="afterName"/> (exclusive).</summary>
    public static async Task<IReadOnlyList<ActionRow>> ListAsync(IDbTransaction tx, string? tag, string? afterName, int limit) =>
        (await tx.Connection!.QueryAsync<ActionRow>(
            $"""
            SELECT {Columns} FROM actions
            WHERE (@afterName IS NULL OR name > @afterName)
              AND (@tag IS NULL OR EXISTS (SELECT 1 FROM json_each(actions.tags_json) t WHERE t.value = @tag))
            ORDER BY name
            LIMIT {Db.Limit("@limit")}
            """, new { tag, afterName, limit }, tx)).AsList();

    public static Task<IEnumerable<ActionRow>> ListByServiceAsync(IDbTransaction tx, string service) =>
        tx.Connection!.QueryAsync<ActionRow>(
            $"SELECT {Columns} FROM actions WHERE service = @service ORDER BY position", new { service }, tx);

    public static async Task<ILookup<string, ActionRow>> ListByServicesAsync(IDbTransaction tx, IReadOnlyCollection<string> services) =>
        services.Count == 0
            ? Array.Empty<ActionRow>().ToLookup(a => a.Service!)
            : (await tx.Connection!.QueryAsync<ActionRow>(
                $"SELECT {Columns} FROM actions WHERE service IN @services ORDER BY service, position", new { services }, tx))
                .ToLookup(a => a.Service!);

    /// <summary>Creates or replaces a standalone action.</summary>
    public static Task<ActionRow> UpsertStandaloneAsync(
        IDbTransaction tx, string name, string specJson, string tagsJson, DateTimeOffset now) =>
        tx.Connection!.QuerySingleAsync<ActionRow>(
            $"""
            INSERT INTO actions (name, service, position, spec_json, tags_json, created_at, updated_at)
            VALUES (@name, NULL, 0, @specJson, @tagsJson, @now, @now)
            ON CONFLICT (name) DO UPDATE SET spec_json = excluded.spec_json, tags_json = excluded.tags_json,
                                             updated_at = excluded.updated_at
            RETURNING {Columns}
            """, new { name, specJson, tagsJson, now }, tx);

    /// <summary>
    /// Replaces a service's whole action set: rows that remain are updated in place (keeping their
    /// createdAt), dropped ones are deleted, new ones inserted.
    /// </summary>
    public static async Task ReplaceServiceActionsAsync(
        IDbTransaction tx, string service, IReadOnlyList<(string Name, string SpecJson, string TagsJson)> actions, DateTimeOffset now)
    {
        var names = actions.Select(a => a.Name).ToList();
        await tx.Connection!.ExecuteAsync(
            "DELETE FROM actions WHERE service = @service AND name NOT IN @names", new { service, names }, tx);
        var rows = actions.Select((a, position) => new { a.Name, service, position, a.SpecJson, a.TagsJson, now });
        await tx.Connection!.ExecuteAsync(
            """
            INSERT INTO actions (name, service, position, spec_json, tags_json, created_at, updated_at)
            VALUES (@Name, @service, @position, @SpecJson, @TagsJson, @now, @now)
            ON CONFLICT (name) DO UPDATE SET position = excluded.position, spec_json = excluded.spec_json,
                                             tags_json = excluded.tags_json, updated_at = excluded.updated_at
            """, rows, tx);
    }

    public static async Task<bool> DeleteStandaloneAsync(IDbTransaction tx, string name) =>
        await tx.Connection!.ExecuteAsync(
            "DELETE FROM actions WHERE name = @name AND service IS NULL", new { name }, tx) == 1;

    public static async Task<int> DeleteAllAsync(IDbTransaction tx) =>
        await tx.Connection!.ExecuteAsync("DELETE FROM actions", transaction: tx);
}
