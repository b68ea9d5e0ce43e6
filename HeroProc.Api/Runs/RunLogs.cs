using System.Globalization;
using HeroProc.Api.Http;
using HeroProc.Api.Jobs;
using HeroProc.Data;

namespace HeroProc.Api.Runs;

/// <param name="RunId">Null only for the logs of a service that was never started.</param>
public sealed record RunLogsResponse(long? RunId, IReadOnlyList<LogLineResponse> Lines, string Next, bool Complete);

/// <summary>
/// All jobs' output of a run as one log, ordered by timestamp, then job, then seq. The cursor holds
/// each job's last returned seq, so a line stored late (a slower job's) is never skipped.
/// </summary>
public sealed class RunLogs(Db db, JobLogs jobLogs)
{
    public async Task<RunLogsResponse?> ReadAsync(long runId, string? after, int limit, LogStream? stream, CancellationToken ct)
    {
        var (run, jobs) = await db.ReadAsync(async tx =>
            (await RunRepository.GetAsync(tx, runId), await JobRepository.ListByRunAsync(tx, runId)), ct);
        if (run is null)
            return null;
        var positions = DecodeCursor(after) ?? [];

        var candidates = new List<LogLineResponse>();
        var complete = true;
        // Each job's share of one response's text budget, so a run of many jobs cannot multiply it.
        var perJobBytes = Math.Max(64 * 1024, JobLogs.MaxResponseBytes / Math.Max(1, jobs.Count));
        foreach (var job in jobs)
        {
            var page = await jobLogs.ReadAsync(job.Id, positions.GetValueOrDefault(job.Id), limit, stream, ct, perJobBytes);
            if (page is null)
                continue;
            candidates.AddRange(page.Lines.Select(l => l with { JobId = job.Id }));
            complete &= page.Complete;
        }
        var lines = candidates.OrderBy(l => l.Ts).ThenBy(l => l.JobId).ThenBy(l => l.Seq).Take(limit).ToList();
        foreach (var line in lines)
            positions[line.JobId!.Value] = line.Seq;
        complete &= lines.Count == candidates.Count && run.Status.IsFinished();
        return new RunLogsResponse(runId, lines, EncodeCursor(positions), complete);
    }

    public static bool IsCursor(string? cursor) => cursor is null || DecodeCursor(cursor) is not null;

    static string EncodeCursor(Dictionary<long, long> positions) => Cursor.Encode(
        string.Join(',', positions.Where(p => p.Value > 0).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}:{p.Value}"))),
        Cursor.LogKind);

    static Dictionary<long, long>? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
            return [];
        var text = Cursor.DecodeKey(cursor, Cursor.LogKind);
        if (text is null)
            return null;
        var positions = new Dictionary<long, long>();
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var job) ||
                !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var seq) || seq < 0)
                return null;
            positions[job] = seq;
        }
        return positions;
    }
}
