using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Api.Schedules;

/// <summary>Wakes the schedule runner when a schedule is created, replaced or deleted.</summary>
public sealed class ScheduleSignal : WakeSignal;

/// <summary>
/// Fires schedules: sleeps (on the injected clock) until the next due tick, or until a schedule
/// changes, then handles every schedule that is due. Never busy-loops; a schedule whose expression
/// never fires again is simply never due.
/// </summary>
public sealed class ScheduleRunner(
    Db db, ScheduleSignal signal, SchedulerSignal scheduler, JobControl control, ChangePublisher publisher, TimeProvider clock,
    SystemEndpoints.ServerClock server, ILogger<ScheduleRunner> logger) : BackgroundService
{
    readonly DateTimeOffset startedAt = server.StartedAt;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            DateTimeOffset? until;
            try
            {
                until = await FireDueAsync(stopping);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError(e, "Firing schedules failed; trying again in a second");
                until = clock.GetUtcNow() + TimeSpan.FromSeconds(1);
            }
            try
            {
                await signal.WaitUntilAsync(until, clock, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The schedule runner's wait failed");
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Fires what is due; returns the next tick of any schedule (null: none).</summary>
    async Task<DateTimeOffset?> FireDueAsync(CancellationToken ct)
    {
        var schedules = await db.ReadAsync(ScheduleRepository.ListEnabledAsync, ct);
        var now = clock.GetUtcNow();
        DateTimeOffset? next = null;
        foreach (var row in schedules)
        {
            try
            {
                if (await FireOneAsync(row, now, ct) is { } due && (next is null || due < next))
                    next = due;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // One broken schedule (say, its time zone vanished with a tzdata update) must not stop the others.
                logger.LogError(e, "Schedule {Schedule} could not fire", row.Name);
                await db.InTransactionAsync(tx => ScheduleRepository.RecordErrorAsync(tx, row.Name, $"could not fire: {e.Message}"), ct);
            }
        }
        return next;
    }

    /// <summary>Fires one schedule if due; returns its next tick.</summary>
    async Task<DateTimeOffset?> FireOneAsync(ScheduleRow row, DateTimeOffset now, CancellationToken ct)
    {
        var spec = Http.ApiJson.Deserialize<ScheduleSpec>(row.SpecJson);
        var due = spec.NextTick(row.LastTickAt ?? row.CreatedAt);
        if (due is null || due > now)
            return due;
        var fired = await db.InTransactionAsync(async tx =>
        {
            var fired = await ScheduleTicks.FireDueAsync(tx, row.Name, now, startedAt);
            if (fired?.RunId is { } runId)
                await publisher.PublishAsync(tx, [], [runId]);
            return fired;
        }, ct);
        if (fired?.PreviousRunToCancel is { } previous)
            await control.CancelRunAsync(previous, ct);
        if (fired?.RunId is not null)
            scheduler.Wake();
        return spec.NextTick(now);
    }
}
