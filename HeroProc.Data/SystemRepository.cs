using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Whole-database figures for <c>GET /api/system</c>.</summary>
public static class SystemRepository
{
    /// <summary>The cheapest question the database can answer: for readiness.</summary>
    public static Task<int> PingAsync(IDbTransaction tx) => tx.Connection!.ExecuteScalarAsync<int>("SELECT 1", transaction: tx);

    public static Task<TableCounts> CountsAsync(IDbTransaction tx) =>
        tx.Connection!.QuerySingleAsync<TableCounts>(
            """
            SELECT (SELECT COUNT(*) FROM actions)  AS actions,
                   (SELECT COUNT(*) FROM services) AS services,
                   (SELECT COUNT(*) FROM runs)     AS runs,
                   (SELECT COUNT(*) FROM jobs)     AS jobs,
                   (SELECT COUNT(*) FROM secrets)  AS secrets,
                   (SELECT COUNT(*) FROM schedules) AS schedules
            """, transaction: tx);
}

public sealed record TableCounts
{
    public int Actions { get; init; }
    public int Services { get; init; }
    public int Runs { get; init; }
    public int Jobs { get; init; }
    public int Secrets { get; init; }
    public int Schedules { get; init; }
}
