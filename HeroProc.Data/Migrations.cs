using System.Data;
using System.Reflection;
using Dapper;

namespace HeroProc.Data;

/// <summary>
/// Schema migrations: embedded <c>Migrations/NNNN_name.sql</c> files, applied in order inside the
/// caller's write transaction. The schema version is <c>PRAGMA user_version</c>, which SQLite keeps
/// in the file header and changes transactionally, so a crash mid-migration leaves the old version.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<(int Version, string Sql)> All { get; } = Load();

    public static int LatestVersion => All[^1].Version;

    public static async Task ApplyAsync(IDbTransaction tx, CancellationToken ct)
    {
        var connection = tx.Connection!;
        var current = await connection.ExecuteScalarAsync<int>(
            new CommandDefinition("PRAGMA user_version", transaction: tx, cancellationToken: ct));
        foreach (var (version, sql) in All.Where(m => m.Version > current))
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
            // PRAGMA takes no parameters; the version is an integer parsed from a resource name.
            await connection.ExecuteAsync(new CommandDefinition(
                $"PRAGMA user_version = {version}", transaction: tx, cancellationToken: ct));
        }
    }

    static IReadOnlyList<(int, string)> Load()
    {
        var assembly = typeof(Migrations).Assembly;
        const string prefix = "HeroProc.Data.Migrations.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Version: int.Parse(n[prefix.Length..].Split('_')[0]), Sql: Read(assembly, n)))
            .OrderBy(m => m.Version)
            .ToList();
    }

    static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
