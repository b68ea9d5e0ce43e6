using Microsoft.AspNetCore.Mvc;

namespace HeroProc.Api.Http;

/// <summary>
/// Writes a problem document even when the client's Accept names no JSON type (an EventSource asks
/// for text/event-stream only), where the framework's problem writers decline and would leave a 500.
/// </summary>
static class ProblemWriter
{
    public static async Task WriteAsync(HttpContext context, ProblemDetails problem, Exception? exception = null)
    {
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception }))
            return;
        problem.Type ??= "about:blank";
        await context.Response.WriteAsJsonAsync(problem, ApiJson.Options, "application/problem+json");
    }
}
