using System.Text.Json;
using System.Threading.Channels;
using HeroProc.Api.Http;

namespace HeroProc.Api.Supervision;

/// <summary>One change, as sent on <c>GET /api/events</c>: an increasing id, a type (run, job, service, reset) and the object.</summary>
public sealed class ChangeEvent(long id, string type, Func<string> json)
{
    // Serialized once, by the first subscriber to send it, not by the writer that publishes it (EventHub.Publish).
    readonly Lazy<string> _json = new(json);

    public long Id => id;
    public string Type => type;
    public string Json => _json.Value;
}

/// <summary>
/// The in-process hub every committed change is published to. It keeps the last events in a bounded
/// buffer so a client reconnecting with <c>Last-Event-ID</c> gets what it missed, and feeds each
/// subscriber through a bounded channel: a subscriber too slow to keep up is dropped (and reconnects),
/// never slowing the writers.
/// </summary>
public sealed class EventHub
{
    public const int BufferSize = 10_000;
    const int SubscriberBacklog = BufferSize;

    readonly Lock _lock = new();
    readonly Queue<ChangeEvent> _recent = new();
    readonly List<Channel<ChangeEvent>> _subscribers = [];
    // Ids start from the clock (microseconds), so they keep increasing across server restarts: an id from
    // before a restart is older than every buffered one and gets a 'reset', never silence.
    long _lastId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    /// <param name="value">An immutable snapshot: it is serialized later, when a subscriber first sends it.</param>
    public void Publish(string type, object value)
    {
        lock (_lock)
        {
            var change = new ChangeEvent(++_lastId, type, () => Serialize(value));
            _recent.Enqueue(change);
            if (_recent.Count > BufferSize)
                _recent.Dequeue();
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                if (!_subscribers[i].Writer.TryWrite(change))
                {
                    _subscribers[i].Writer.TryComplete();
                    _subscribers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// The object as JSON; one that cannot be serialized becomes an error object, so that it cannot break every
    /// subscriber's stream (and every reconnect's replay) where it stands.
    /// </summary>
    static string Serialize(object value)
    {
        try
        {
            return JsonSerializer.Serialize(value, value.GetType(), ApiJson.Options);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return JsonSerializer.Serialize(new { error = $"this change could not be serialized: {e.Message}" }, ApiJson.Options);
        }
    }

    /// <summary>
    /// Events after <paramref name="lastEventId"/> (or only new ones), then live ones. When the id is older
    /// than the buffer, the stream starts with a <c>reset</c> event: the client must reload.
    /// </summary>
    public async IAsyncEnumerable<ChangeEvent> SubscribeAsync(long? lastEventId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<ChangeEvent>(new BoundedChannelOptions(SubscriberBacklog) { SingleReader = true });
        List<ChangeEvent> missed;
        lock (_lock)
        {
            missed = [];
            if (lastEventId is { } last && last != _lastId)
            {
                var oldest = _recent.Count > 0 ? _recent.Peek().Id : _lastId + 1;
                if (last < oldest - 1 || last > _lastId)
                    missed.Add(new ChangeEvent(_lastId, "reset", () => "{\"reason\":\"the events since Last-Event-ID are no longer buffered; reload\"}"));
                else
                    missed.AddRange(_recent.Where(e => e.Id > last));
            }
            _subscribers.Add(channel);
        }
        try
        {
            foreach (var change in missed)
                yield return change;
            await foreach (var change in channel.Reader.ReadAllAsync(ct))
                yield return change;
        }
        finally
        {
            lock (_lock)
                _subscribers.Remove(channel);
        }
    }
}
