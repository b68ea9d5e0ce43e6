using System.Data;
using Dapper;

namespace HeroProc.Data;

public sealed record SecretRow
{
    public required string Name { get; init; }
    public required string ValueCipher { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Secrets, stored encrypted: this repository never sees a plain value.</summary>
public static class SecretRepository
{
    public static async Task<bool> UpsertAsync(IDbTransaction tx, string name, string valueCipher, DateTimeOffset now)
    {
        var existed = await tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM secrets WHERE name = @name", new { name }, tx) == 1;
        await tx.Connection!.ExecuteAsync(
            """
            INSERT INTO secrets (name, value_cipher, created_at, updated_at) VALUES (@name, @valueCipher, @now, @now)
            ON CONFLICT (name) DO UPDATE SET value_cipher = excluded.value_cipher, updated_at = excluded.updated_at
            """, new { name, valueCipher, now }, tx);
        return !existed;
    }

    public static Task<SecretRow?> GetAsync(IDbTransaction tx, string name) =>
        tx.Connection!.QuerySingleOrDefaultAsync<SecretRow>(
            "SELECT name, value_cipher, created_at, updated_at FROM secrets WHERE name = @name", new { name }, tx);

    public static async Task<IReadOnlyList<SecretRow>> GetManyAsync(IDbTransaction tx, IReadOnlyCollection<string> names) =>
        names.Count == 0
            ? []
            : (await tx.Connection!.QueryAsync<SecretRow>(
                "SELECT name, value_cipher, created_at, updated_at FROM secrets WHERE name IN @names", new { names }, tx)).AsList();

    public static async Task<IReadOnlyList<SecretRow>> ListAsync(IDbTransaction tx, string? afterName, int limit) =>
        (await tx.Connection!.QueryAsync<SecretRow>(
            $"""
            SELECT name, '' AS value_cipher, created_at, updated_at FROM secrets
            WHERE (@afterName IS NULL OR name > @afterName) ORDER BY name LIMIT {Db.Limit("@limit")}
            """, new { afterName, limit }, tx)).AsList();

    public static async Task<bool> DeleteAsync(IDbTransaction tx, string name) =>
        await tx.Connection!.ExecuteAsync("DELETE FROM secrets WHERE name = @name", new { name }, tx) == 1;
}
