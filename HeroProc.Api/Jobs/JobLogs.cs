using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Api.Jobs;

/// <summary>A log line as served: the stored line, with its job for a run's merged log.</summary>
public sealed record LogLineResponse(long Seq, DateTimeOffset Ts, string Stream, int Attempt, string Text,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? JobId = null)
{
    public static LogLineResponse From(LogLine line, long? jobId = null) =>
        new(line.Seq, line.At, line.Stream == LogStream.Stderr ? "stderr" : "stdout", line.Attempt, line.Text, jobId);
}

public sealed record JobLogsResponse(long JobId, IReadOnlyList<LogLineResponse> Lines, long Next, bool Complete);

/// <summary>Reads stored job output by sequence number from the chunk index and the job's log file.</summary>
public sealed class JobLogs(Db db, JobPaths paths)
{
    const int ChunksPerRead = 64;

    /// <summary>Text one response carries at most (a page ends early past it): 10,000 lines of 64 KiB would be 640 MiB.</summary>
    public const int MaxResponseBytes = 8 * 1024 * 1024;

    /// <summary>Lines with seq after <paramref name="after"/>; null when the job does not exist.</summary>
    public async Task<JobLogsResponse?> ReadAsync(long jobId, long after, int limit, LogStream? stream, CancellationToken ct,
        int maxBytes = MaxResponseBytes)
    {
        var bytes = 0L;
        var lines = new List<LogLineResponse>();
        var job = await db.ReadAsync(tx => JobRepository.GetAsync(tx, jobId), ct);
        if (job is null)
            return null;
        var firstKept = await FirstKeptSeqAsync(job, ct);
        if (job.LogDroppedLines > 0 && after < firstKept - 1 && stream is null)
        {
            // Retention dropped the oldest lines: one marker line says so, in their place.
            lines.Add(new LogLineResponse(firstKept - 1, job.CreatedAt, "stderr", job.Attempt,
                $"[heroproc] {job.LogDroppedLines} earlier lines were dropped by log retention"));
        }

        var cursor = Math.Max(after, lines.Count > 0 ? firstKept - 1 : after);
        var scannedToEnd = false;
        while (lines.Count < limit && bytes < maxBytes)
        {
            var chunks = await db.ReadAsync(tx => LogRepository.ChunksAfterAsync(tx, jobId, cursor, ChunksPerRead), ct);
            if (chunks.Count == 0)
            {
                scannedToEnd = true;
                break;
            }
            foreach (var chunk in chunks)
            {
                foreach (var line in await LogFile.ReadChunkAsync(paths.LogFile(jobId), chunk, ct))
                {
                    if (line.Seq <= cursor)
                        continue;
                    if (lines.Count >= limit || bytes >= maxBytes)
                        break;
                    cursor = line.Seq;
                    if (stream is null || line.Stream == stream)
                    {
                        lines.Add(LogLineResponse.From(line));
                        bytes += line.Text.Length;
                    }
                }
                if (lines.Count >= limit || bytes >= maxBytes)
                    break;
                cursor = Math.Max(cursor, chunk.FirstSeq + chunk.LineCount - 1);
            }
        }
        var next = lines.Count > 0 ? lines[^1].Seq : after;
        return new JobLogsResponse(jobId, lines, next, job.Status.IsFinished() && (scannedToEnd || next >= job.LogSeq));
    }

    async Task<long> FirstKeptSeqAsync(JobRow job, CancellationToken ct)
    {
        if (job.LogDroppedLines == 0)
            return 1;
        var first = await db.ReadAsync(tx => LogRepository.ChunksAfterAsync(tx, job.Id, 0, 1), ct);
        return first.Count > 0 ? first[0].FirstSeq : job.LogSeq + 1;
    }
}
