using System.Data;
using Dapper;
using HeroProc.Data;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Keeps stored output within bounds: per job (the oldest chunks of a job over its limit go) and over
/// all jobs (finished jobs' logs go, oldest job first). Dropped chunks leave the index in the same
/// transaction as the ingestion that passed the bound; their file ranges are then freed by punching
/// holes, so the disk space returns even while the job keeps writing. Readers see a marker line instead.
/// </summary>
public sealed partial class LogRetention(JobPaths paths, IOptions<HeroProcOptions> options, SystemEndpoints.ServerMetrics metrics, TimeProvider clock)
{
    /// <summary>The global sum scans every job: it is checked at most this often.</summary>
    static readonly TimeSpan TotalCheckInterval = TimeSpan.FromSeconds(10);

    DateTimeOffset _nextTotalCheck = DateTimeOffset.MinValue;

    /// <summary>Trims one job to its limit, inside the caller's transaction; returns what to free after the commit.</summary>
    public async Task<IReadOnlyList<LogChunkRow>> TrimJobAsync(IDbTransaction tx, long jobId) =>
        await LogRepository.TrimAsync(tx, jobId, options.Value.Logs.MaxBytesPerJob);

    /// <summary>Trims finished jobs, oldest first, until all output fits the global limit.</summary>
    public async Task<IReadOnlyList<LogChunkRow>> TrimTotalAsync(IDbTransaction tx)
    {
        var now = clock.GetUtcNow();
        if (now < _nextTotalCheck)
            return [];
        _nextTotalCheck = now + TotalCheckInterval;
        var connection = tx.Connection!;
        var total = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(log_bytes), 0) FROM jobs", transaction: tx);
        var dropped = new List<LogChunkRow>();
        if (total <= options.Value.Logs.MaxBytesTotal)
            return dropped;
        var oldest = await connection.QueryAsync<(long Id, long LogBytes)>(
            """
            SELECT id, log_bytes FROM jobs
            WHERE log_bytes > 0 AND status IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'skipped')
            ORDER BY id
            """, transaction: tx);
        foreach (var (id, bytes) in oldest)
        {
            if (total <= options.Value.Logs.MaxBytesTotal)
                break;
            var trimmed = await LogRepository.TrimAsync(tx, id, 0, keepNewest: false);
            dropped.AddRange(trimmed);
            total -= trimmed.Sum(c => (long)c.ByteLength);
        }
        return dropped;
    }

    /// <summary>Frees the file ranges of dropped chunks. Best effort: a filesystem without hole punching keeps the bytes.</summary>
    public void Free(IReadOnlyCollection<LogChunkRow> dropped)
    {
        metrics.LogBytesDropped.Inc(dropped.Sum(c => (double)c.ByteLength));
        foreach (var job in dropped.GroupBy(c => c.JobId))
        {
            try
            {
                using var handle = File.OpenHandle(paths.LogFile(job.Key), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                // Chunks are always dropped oldest first, so everything before the last dropped chunk's end
                // is garbage: one hole from the start frees whole blocks, not just each chunk's inner ones.
                var end = job.Max(c => c.FileOffset + c.ByteLength);
                PunchHole(handle, 0, end);
            }
            catch (IOException)
            {
            }
        }
    }

    const int FallocPunchHole = 0x02, FallocKeepSize = 0x01;

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(SafeFileHandle fd, int mode, long offset, long length);

    static void PunchHole(SafeFileHandle handle, long offset, long length) =>
        fallocate(handle, FallocPunchHole | FallocKeepSize, offset, length);
}
