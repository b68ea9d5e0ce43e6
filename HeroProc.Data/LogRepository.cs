using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>One chunk of a job's log file: lines <c>FirstSeq</c>.. at <c>FileOffset</c>.</summary>
public sealed record LogChunkRow
{
    public long JobId { get; init; }
    public long FirstSeq { get; init; }
    public int LineCount { get; init; }
    public long FileOffset { get; init; }
    public int ByteLength { get; init; }
    public DateTimeOffset FirstAt { get; init; }
    public DateTimeOffset LastAt { get; init; }
}

/// <summary>Where ingestion stands for one job: committed with the chunks it wrote, in one transaction.</summary>
public sealed record IngestionState(long SpoolSegment, long SpoolOffset, byte[]? CarryStdout, byte[]? CarryStderr, long LogSeq);

/// <summary>The index of the job log files: chunks, never one row per line.</summary>
public static class LogRepository
{
    const string Columns = "job_id, first_seq, line_count, file_offset, byte_length, first_at, last_at";

    public static async Task CommitAsync(IDbTransaction tx, long jobId, IReadOnlyList<LogChunkRow> chunks, IngestionState state)
    {
        if (chunks.Count > 0)
            await tx.Connection!.ExecuteAsync(
                $"INSERT INTO log_chunks ({Columns}) VALUES (@JobId, @FirstSeq, @LineCount, @FileOffset, @ByteLength, @FirstAt, @LastAt)",
                chunks, tx);
        await tx.Connection!.ExecuteAsync(
            """
            UPDATE jobs SET spool_segment = @SpoolSegment, spool_offset = @SpoolOffset, carry_stdout = @CarryStdout,
                            carry_stderr = @CarryStderr, log_seq = @LogSeq, log_bytes = log_bytes + @added
            WHERE id = @jobId
            """, new { jobId, state.SpoolSegment, state.SpoolOffset, state.CarryStdout, state.CarryStderr, state.LogSeq,
                       added = chunks.Sum(c => (long)c.ByteLength) }, tx);
    }

    /// <summary>Chunks holding lines after <paramref name="afterSeq"/>, in order.</summary>
    public static async Task<IReadOnlyList<LogChunkRow>> ChunksAfterAsync(IDbTransaction tx, long jobId, long afterSeq, int maxChunks) =>
        (await tx.Connection!.QueryAsync<LogChunkRow>(
            $"""
            SELECT {Columns} FROM log_chunks
            WHERE job_id = @jobId AND first_seq + line_count - 1 > @afterSeq
            ORDER BY first_seq
            LIMIT {Db.Limit("@maxChunks")}
            """, new { jobId, afterSeq, maxChunks }, tx)).AsList();

    /// <summary>Where the next chunk goes in the job's log file: the end of the last committed chunk.</summary>
    public static Task<long> EndOffsetAsync(IDbTransaction tx, long jobId) =>
        tx.Connection!.ExecuteScalarAsync<long>($"SELECT {EndOffsetOf("@jobId")}", new { jobId }, tx);

    /// <summary>The SQL expression of the end of a job's log file: where its next chunk goes.</summary>
    internal static string EndOffsetOf(string jobId) => $"(SELECT COALESCE(MAX(file_offset + byte_length), 0) FROM log_chunks WHERE job_id = {jobId})";

    /// <summary>
    /// Drops the oldest chunks of a job until at most <paramref name="maxBytes"/> remain (with
    /// <paramref name="keepNewest"/>, the newest chunk always stays, so a running job's tail is never lost);
    /// returns the dropped chunks so their file ranges can be freed.
    /// </summary>
    public static async Task<IReadOnlyList<LogChunkRow>> TrimAsync(IDbTransaction tx, long jobId, long maxBytes, bool keepNewest = true)
    {
        var connection = tx.Connection!;
        // jobs.log_bytes is kept in step with the chunks: the common case costs one primary-key read.
        var total = await connection.ExecuteScalarAsync<long>("SELECT log_bytes FROM jobs WHERE id = @jobId", new { jobId }, tx);
        if (total <= maxBytes)
            return [];
        var dropped = new List<LogChunkRow>();
        var chunks = (await connection.QueryAsync<LogChunkRow>(
            $"SELECT {Columns} FROM log_chunks WHERE job_id = @jobId ORDER BY first_seq", new { jobId }, tx)).AsList();
        var droppable = keepNewest ? chunks.Count - 1 : chunks.Count;
        foreach (var chunk in chunks.Take(droppable))
        {
            if (total <= maxBytes)
                break;
            dropped.Add(chunk);
            total -= chunk.ByteLength;
        }
        await connection.ExecuteAsync("DELETE FROM log_chunks WHERE job_id = @JobId AND first_seq = @FirstSeq", dropped, tx);
        await connection.ExecuteAsync(
            "UPDATE jobs SET log_bytes = @total, log_dropped_lines = log_dropped_lines + @lines WHERE id = @jobId",
            new { jobId, total, lines = dropped.Sum(c => c.LineCount) }, tx);
        return dropped;
    }
}
