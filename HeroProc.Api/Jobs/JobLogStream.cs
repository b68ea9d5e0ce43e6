using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Api.Supervision;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HeroProc.Api.Jobs;

/// <summary><c>GET /api/jobs/{id}/logs/stream</c>: follows a job's output as server-sent events until it ends.</summary>
public static class JobLogStream
{
    /// <summary>How long a follower waits for a wake before it looks again anyway.</summary>
    static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    public static async Task<Results<EventStreamResult, ProblemHttpResult>> StreamAsync(
        long id, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, JobLogs logs, LogSignals signals, Db db, CancellationToken ct)
    {
        if (await db.ReadAsync(tx => JobRepository.GetAsync(tx, id), ct) is null)
            return Problems.NotFound($"job {id}");
        var after = long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var resume) ? resume : 0;
        return new EventStreamResult(FollowAsync(id, after, logs, signals, db, ct));
    }

    static async IAsyncEnumerable<SseItem<string>> FollowAsync(
        long jobId, long after, JobLogs logs, LogSignals signals, Db db, [EnumeratorCancellation] CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            // Subscribe before reading, so a line stored between the read and the wait still wakes us.
            var stored = signals.WaitAsync(jobId, Recheck, ct);
            var page = await logs.ReadAsync(jobId, after, LogsQueryRules.MaxLimit, null, ct);
            if (page is null)
                yield break;
            foreach (var line in page.Lines)
                yield return new SseItem<string>(JsonSerializer.Serialize(line, ApiJson.Options), "line") { EventId = line.Seq.ToString(CultureInfo.InvariantCulture) };
            after = page.Next;
            if (page.Complete)
            {
                var job = await db.ReadAsync(tx => JobRepository.GetAsync(tx, jobId), ct);
                yield return new SseItem<string>(JsonSerializer.Serialize(JobResponse.From(job!), ApiJson.Options), "end");
                yield break;
            }
            if (page.Lines.Count < LogsQueryRules.MaxLimit)
                await stored;
        }
    }
}
