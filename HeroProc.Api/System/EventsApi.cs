using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using HeroProc.Api.Http;
using HeroProc.Api.Supervision;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HeroProc.Api.SystemEndpoints;

public static class EventsApi
{
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/events", Stream).WithTags("System")
            .WithSummary("text/event-stream of run, job and service changes.")
            .WithDescription("Each event has an increasing id and a data line with the changed object (a run without its jobs). " +
                             "Reconnect with Last-Event-ID (header, or 'lastEventId' query parameter) to get what was missed from a " +
                             "bounded buffer, or a 'reset' event when that is too old.")
            .Produces(200, contentType: "text/event-stream");
        return routes;
    }

    public static EventStreamResult Stream(
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader, [FromQuery] string? lastEventId, EventHub hub, CancellationToken ct)
    {
        var last = long.TryParse(lastEventIdHeader ?? lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : (long?)null;
        return new EventStreamResult(Events(hub, last, ct));
    }

    static async IAsyncEnumerable<SseItem<string>> Events(EventHub hub, long? last, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var change in hub.SubscribeAsync(last, ct))
            yield return new SseItem<string>(change.Json, change.Type) { EventId = change.Id.ToString(CultureInfo.InvariantCulture) };
    }
}
