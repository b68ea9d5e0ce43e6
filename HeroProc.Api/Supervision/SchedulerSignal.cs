using System.Threading.Channels;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Wakes the scheduler when something it cares about committed (a submit, a job's end, a cancel, a
/// resume): it reacts at once instead of polling. Signals coalesce: many wakes while it works are one.
/// </summary>
public sealed class SchedulerSignal
{
    readonly Channel<bool> _wakes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _wakes.Writer.TryWrite(true);

    /// <summary>Waits for a wake, or until <paramref name="timeout"/> passes on <paramref name="clock"/>.</summary>
    public async Task WaitAsync(TimeSpan? timeout, TimeProvider clock, CancellationToken ct)
    {
        if (_wakes.Reader.TryRead(out _))
            return;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = _wakes.Reader.WaitToReadAsync(linked.Token).AsTask();
        var tasks = timeout is { } delay ? new[] { wake, Task.Delay(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, clock, linked.Token) } : [wake];
        await Task.WhenAny(tasks);
        await linked.CancelAsync();
        _wakes.Reader.TryRead(out _);
        ct.ThrowIfCancellationRequested();
    }
}
