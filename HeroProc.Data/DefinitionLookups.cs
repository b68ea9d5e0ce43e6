using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Checks that other definitions make against secrets and schedules, inside the caller's transaction.</summary>
public static class DefinitionLookups
{
    public static async Task<IReadOnlySet<string>> ExistingSecretsAsync(IDbTransaction tx, IReadOnlyCollection<string> names) =>
        names.Count == 0
            ? new HashSet<string>()
            : (await tx.Connection!.QueryAsync<string>(
                "SELECT name FROM secrets WHERE name IN @names", new { names }, tx)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The first schedule whose run names <paramref name="action"/> among its stored actions.</summary>
    public static Task<string?> ScheduleNamingActionAsync(IDbTransaction tx, string action) =>
        tx.Connection!.QueryFirstOrDefaultAsync<string?>(
            """
            SELECT s.name FROM schedules s, json_each(s.spec_json, '$.run.actions') a
            WHERE a.value = @action
            ORDER BY s.name
            LIMIT 1
            """, new { action }, tx);

    public static async Task<int> DeleteAllSchedulesAsync(IDbTransaction tx) =>
        await tx.Connection!.ExecuteAsync("DELETE FROM schedules", transaction: tx);
}
