using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>
/// What the supervision of a service's process writes beside its job status: readiness, health, and the
/// restarts counted for its crash-loop limit. Each update names the attempt it is about, so a late
/// answer about an earlier attempt changes nothing.
/// </summary>
public static class ProcessStateRepository
{
    /// <summary>The attempt has been up for its <c>minUptimeMs</c> (and its probe passes): dependents may start.</summary>
    public static async Task<bool> MarkReadyAsync(IDbTransaction tx, long jobId, int attempt, DateTimeOffset now) =>
        await tx.Connection!.ExecuteAsync(
            """
            UPDATE jobs SET ready_at = @now
            WHERE id = @jobId AND attempt = @attempt AND status = 'running' AND ready_at IS NULL AND stop_requested IS NULL
            """, new { jobId, attempt, now }, tx) == 1;

    /// <summary>Records the probe's verdict; true when it changed.</summary>
    public static async Task<bool> SetHealthAsync(IDbTransaction tx, long jobId, int attempt, string health) =>
        await tx.Connection!.ExecuteAsync(
            "UPDATE jobs SET health = @health WHERE id = @jobId AND attempt = @attempt AND status = 'running' AND health IS NOT @health",
            new { jobId, attempt, health }, tx) == 1;

    /// <summary>Restarts of the job since <paramref name="since"/>: what the crash-loop limit counts.</summary>
    public static Task<int> RestartsSinceAsync(IDbTransaction tx, long jobId, DateTimeOffset since) =>
        tx.Connection!.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM job_events WHERE job_id = @jobId AND status = 'retrying' AND at > @since",
            new { jobId, since }, tx);

    /// <summary>The newest events of a process job kept beyond its restart window.</summary>
    const int EventsKeptBeyondWindow = 100;

    /// <summary>
    /// Drops a long-lived process's history older than its restart window, keeping the newest events: a
    /// process restarting for months must not grow <c>job_events</c> without bound. The window's events
    /// stay, so the crash-loop count is exact.
    /// </summary>
    public static Task PruneEventsAsync(IDbTransaction tx, long jobId, DateTimeOffset windowStart) =>
        tx.Connection!.ExecuteAsync(
            $"""
            DELETE FROM job_events WHERE job_id = @jobId AND at < @windowStart AND id <=
                (SELECT id FROM job_events WHERE job_id = @jobId ORDER BY id DESC LIMIT 1 OFFSET {EventsKeptBeyondWindow})
            """, new { jobId, windowStart }, tx);

    /// <summary>Running processes not yet counted as up: the supervisor's readiness check.</summary>
    public static async Task<IReadOnlyList<JobRow>> ListWaitingForReadyAsync(IDbTransaction tx) =>
        (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {JobRepository.Columns} FROM jobs WHERE status = 'running' AND kind = 'process' AND ready_at IS NULL AND stop_requested IS NULL",
            transaction: tx)).AsList();
}
