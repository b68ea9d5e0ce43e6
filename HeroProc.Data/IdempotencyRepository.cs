using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>Idempotency keys of run submissions, each tied to the run it created.</summary>
public static class IdempotencyRepository
{
    /// <summary>The live key, after forgetting every key older than <paramref name="expiredBefore"/>.</summary>
    public static async Task<IdempotencyKeyRow?> FindLiveAsync(IDbTransaction tx, string key, DateTimeOffset expiredBefore)
    {
        await tx.Connection!.ExecuteAsync(
            "DELETE FROM idempotency_keys WHERE created_at < @expiredBefore", new { expiredBefore }, tx);
        return await tx.Connection!.QuerySingleOrDefaultAsync<IdempotencyKeyRow>(
            "SELECT key, request_hash, run_id, created_at FROM idempotency_keys WHERE key = @key", new { key }, tx);
    }

    public static Task InsertAsync(IDbTransaction tx, string key, string requestHash, long runId, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            "INSERT INTO idempotency_keys (key, request_hash, run_id, created_at) VALUES (@key, @requestHash, @runId, @now)",
            new { key, requestHash, runId, now }, tx);
}
