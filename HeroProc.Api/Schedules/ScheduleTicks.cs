using System.Data;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Data;

namespace HeroProc.Api.Schedules;

/// <summary>
/// Fires a schedule's due ticks. The run of a tick is created in the same transaction that moves the
/// schedule past that tick (compare-and-set on <c>last_tick_at</c>), so a crash can neither fire a tick
/// twice nor lose it. Ticks missed while the server was down (more than one due, or one overdue by more
/// than <see cref="OnTime"/>) follow <c>misfire</c>: skipped, or one run for all of them.
/// </summary>
public static class ScheduleTicks
{
    /// <summary>A tick this late is still fired as its own; later than that, it was missed.</summary>
    public static readonly TimeSpan OnTime = TimeSpan.FromSeconds(5);

    public sealed record Fired(long? RunId, long? PreviousRunToCancel);

    /// <summary>Handles what is due of one schedule now; returns the run it created, if any.</summary>
    public static async Task<Fired?> FireDueAsync(IDbTransaction tx, string name, DateTimeOffset now)
    {
        var row = await ScheduleRepository.GetAsync(tx, name);
        if (row is null || !row.Enabled)
            return null;
        var spec = ApiJson.Deserialize<ScheduleSpec>(row.SpecJson);
        var from = row.LastTickAt ?? row.CreatedAt;
        var due = new List<DateTimeOffset>();
        for (var tick = spec.NextTick(from); tick is { } t && t <= now && due.Count < 100_000; tick = spec.NextTick(t))
            due.Add(t);
        if (due.Count == 0)
            return null;
        var last = due[^1];
        var missed = due.Count > 1 || now - last > OnTime;
        // A backlog cut short above resumes from now rather than from its last counted tick.
        if (!await ScheduleRepository.AdvanceTickAsync(tx, name, row.LastTickAt, due.Count >= 100_000 ? now : last))
            return null;
        if (missed && spec.Misfire == Misfire.Skip)
            return new Fired(null, null);

        long? previous = null;
        if (row.LastRunId is { } lastRun && await RunRepository.GetAsync(tx, lastRun) is { } run && !run.Status.IsFinished())
        {
            if (spec.Overlap == Overlap.Skip)
                return new Fired(null, null);
            if (spec.Overlap == Overlap.CancelPrevious)
                previous = lastRun;
        }
        var created = await CreateRunAsync(tx, name, spec.Run!, now);
        return new Fired(created, previous);
    }

    /// <summary>Submits the schedule's run; a run that no longer validates is recorded as lastError instead.</summary>
    public static async Task<long?> CreateRunAsync(IDbTransaction tx, string name, SubmitRunRequest run, DateTimeOffset now)
    {
        switch (await RunSubmission.SubmitAsync(tx, run, null, now, name))
        {
            case SubmitOutcome.Created created:
                await ScheduleRepository.RecordRunAsync(tx, name, created.RunId, now);
                return created.RunId;
            case SubmitOutcome.Rejected rejected:
                await ScheduleRepository.RecordErrorAsync(tx, name, "the run was refused: " + rejected.Errors.Describe());
                return null;
            default:
                return null;
        }
    }
}
