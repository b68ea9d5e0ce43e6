using Dapper;
using Microsoft.Data.Sqlite;

namespace HeroProc.Tests.Infrastructure;

/// <summary>
/// Looks at the database as an outside tool would: its own read-only connection, table names from
/// DESIGN.md. Checks the invariants that must hold at every commit.
/// </summary>
public sealed class DatabaseProbe(string databasePath)
{
    static readonly string[] Tables =
        ["actions", "services", "runs", "jobs", "job_events", "service_events", "secrets", "schedules", "idempotency_keys"];

    SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public T Scalar<T>(string sql, object? param = null)
    {
        using var connection = Open();
        return connection.ExecuteScalar<T>(sql, param)!;
    }

    public List<T> Query<T>(string sql, object? param = null)
    {
        using var connection = Open();
        return connection.Query<T>(sql, param).AsList();
    }

    /// <summary>Row counts of every table, read in one snapshot.</summary>
    public IReadOnlyDictionary<string, long> RowCounts()
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: true);
        return Tables.ToDictionary(t => t, t => connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM {t}", transaction: tx));
    }

    /// <summary>Every violated invariant, described; empty when the database is whole.</summary>
    public List<string> Violations()
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: true);
        var checks = new Dictionary<string, string>
        {
            ["run without jobs"] = "SELECT id FROM runs WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.run_id = runs.id)",
            ["job without its run"] = "SELECT id FROM jobs WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.id = jobs.run_id)",
            ["event without its job"] = "SELECT id FROM job_events WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = job_events.job_id)",
            ["job without its first event"] = "SELECT id FROM jobs WHERE NOT EXISTS (SELECT 1 FROM job_events WHERE job_events.job_id = jobs.id)",
            ["service without actions"] = "SELECT id FROM services WHERE NOT EXISTS (SELECT 1 FROM actions WHERE actions.service = services.name)",
            ["action of a missing service"] = "SELECT id FROM actions WHERE service IS NOT NULL AND NOT EXISTS (SELECT 1 FROM services WHERE services.name = actions.service)",
            ["key of a missing run"] = "SELECT rowid FROM idempotency_keys WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.id = idempotency_keys.run_id)",
            // The counters the triggers keep must match a count of the jobs themselves.
            ["run whose job counts are off"] =
                """
                SELECT run_id FROM (SELECT run_id, status, count FROM run_job_counts WHERE count <> 0
                                    EXCEPT SELECT run_id, status, COUNT(*) FROM jobs GROUP BY run_id, status)
                UNION
                SELECT run_id FROM (SELECT run_id, status, COUNT(*) FROM jobs GROUP BY run_id, status
                                    EXCEPT SELECT run_id, status, count FROM run_job_counts WHERE count <> 0)
                """,
        };
        var violations = checks
            .SelectMany(c => connection.Query<long>(c.Value, transaction: tx).Select(id => $"{c.Key}: {id}"))
            .ToList();
        violations.AddRange(connection.Query<string>("PRAGMA foreign_key_check", transaction: tx).Select(t => $"foreign key broken in {t}"));
        return violations;
    }
}
