using System.Data;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Data;

namespace HeroProc.Api.Schedules;

/// <summary>
/// Fires a schedule's due ticks. The run of a tick is created in the same transaction that moves the
/// schedule past that tick (compare-and-set on <c>last_tick_at</c>), so a crash can neither fire a tick
/// twice nor lose it. Ticks missed while the server was down follow <c>misfire</c>: skipped, or one run
/// for all of them.
/// </summary>
public static class ScheduleTicks
{
    public sealed record Fired(long? RunId, long? PreviousRunToCancel);

    /// <summary>
    /// Handles what is due of one schedule now. Ticks due before <paramref name="serverStartedAt"/> were
    /// missed while the server was down and follow <c>misfire</c>; later ones (late only because the
    /// server was busy) each fire, subject to <c>overlap</c>. Returns the last run created.
    /// </summary>
    public static async Task<Fired?> FireDueAsync(IDbTransaction tx, string name, DateTimeOffset now, DateTimeOffset serverStartedAt)
    {
        const int MaxTicksPerPass = 1000;
        var row = await ScheduleRepository.GetAsync(tx, name);
        if (row is null || !row.Enabled)
            return null;
        var spec = ApiJson.Deserialize<ScheduleSpec>(row.SpecJson);
        var missed = new List<DateTimeOffset>();
        var live = new List<DateTimeOffset>();
        for (var tick = spec.NextTick(row.LastTickAt ?? row.CreatedAt); tick is { } t && t <= now; tick = spec.NextTick(t))
        {
            (t < serverStartedAt ? missed : live).Add(t);
            if (missed.Count + live.Count >= MaxTicksPerPass * 100)
                break;
        }
        if (missed.Count + live.Count == 0)
            return null;
        // A backlog cut short above resumes from now rather than from its last counted tick.
        var last = live.Count > 0 ? live[^1] : missed[^1];
        if (!await ScheduleRepository.AdvanceTickAsync(tx, name, row.LastTickAt, missed.Count + live.Count >= MaxTicksPerPass * 100 ? now : last))
            return null;

        var firings = (missed.Count > 0 && spec.Misfire == Misfire.RunOnce ? 1 : 0) + Math.Min(live.Count, MaxTicksPerPass);
        long? created = null, previousToCancel = null;
        for (var i = 0; i < firings; i++)
        {
            var lastRun = created ?? row.LastRunId;
            if (lastRun is { } id && await RunRepository.GetAsync(tx, id) is { } run && !run.Status.IsFinished())
            {
                if (spec.Overlap == Overlap.Skip)
                    continue;
                if (spec.Overlap == Overlap.CancelPrevious && id == row.LastRunId)
                    previousToCancel = id;
            }
            created = await CreateRunAsync(tx, name, spec.Run!, now) ?? created;
        }
        return new Fired(created, previousToCancel);
    }

    /// <summary>Submits the schedule's run and records it as the schedule's last run when it was created.</summary>
    public static async Task<SubmitOutcome> SubmitAsync(IDbTransaction tx, string name, SubmitRunRequest run, DateTimeOffset now)
    {
        var outcome = await RunSubmission.SubmitAsync(tx, run, null, now, name);
        if (outcome is SubmitOutcome.Created created)
            await ScheduleRepository.RecordRunAsync(tx, name, created.RunId, now);
        return outcome;
    }

    /// <summary>A tick's run; one that no longer validates is recorded as lastError instead.</summary>
    static async Task<long?> CreateRunAsync(IDbTransaction tx, string name, SubmitRunRequest run, DateTimeOffset now)
    {
        switch (await SubmitAsync(tx, name, run, now))
        {
            case SubmitOutcome.Created created:
                return created.RunId;
            case SubmitOutcome.Rejected rejected:
                await ScheduleRepository.RecordErrorAsync(tx, name, "the run was refused: " + rejected.Errors.Describe());
                return null;
            default:
                return null;
        }
    }
}
