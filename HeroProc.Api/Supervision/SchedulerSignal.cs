using System.Threading.Channels;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Wakes the scheduler when something it cares about committed (a submit, a job's end, a cancel, a
/// resume): it reacts at once instead of polling.
/// </summary>
public sealed class SchedulerSignal : WakeSignal;

/// <summary>
/// Wakes a background loop when something it cares about committed, so it reacts at once instead of
/// polling. Signals coalesce: many wakes while it works are one.
/// </summary>
public abstract class WakeSignal
{
    readonly Channel<bool> _wakes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _wakes.Writer.TryWrite(true);

    static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    /// <summary>
    /// Waits for a wake, or until <paramref name="until"/> on <paramref name="clock"/>. The clock is read
    /// again after the timer exists: a clock that moved past <paramref name="until"/> in between (a test's
    /// fake clock, a suspended machine) ends the wait instead of leaving a timer set too late.
    /// </summary>
    public async Task WaitUntilAsync(DateTimeOffset? until, TimeProvider clock, CancellationToken ct)
    {
        if (_wakes.Reader.TryRead(out _))
            return;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = _wakes.Reader.WaitToReadAsync(linked.Token).AsTask();
        var tasks = new List<Task> { wake };
        if (until is { } due)
        {
            // Task.Delay refuses waits over ~49 days: wait at most a day, and the caller's loop comes round again.
            var left = due - clock.GetUtcNow();
            left = left < TimeSpan.Zero ? TimeSpan.Zero : left > MaxWait ? MaxWait : left;
            tasks.Add(Task.Delay(left, clock, linked.Token));
            if (clock.GetUtcNow() >= due)
                tasks.Add(Task.CompletedTask);
        }
        await Task.WhenAny(tasks);
        await linked.CancelAsync();
        _wakes.Reader.TryRead(out _);
        ct.ThrowIfCancellationRequested();
    }
}
