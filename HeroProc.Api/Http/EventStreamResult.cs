using System.Net.ServerSentEvents;

namespace HeroProc.Api.Http;

/// <summary>
/// A <c>text/event-stream</c> response that starts at once: headers go out before the first event, so a
/// client learns it is connected even when nothing happens for a while (the framework's
/// ServerSentEvents result waits for the first event).
/// </summary>
public sealed class EventStreamResult(IAsyncEnumerable<SseItem<string>> events) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);
        try
        {
            await SseFormatter.WriteAsync(events, response.Body, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: the normal end of a follow.
        }
    }
}
