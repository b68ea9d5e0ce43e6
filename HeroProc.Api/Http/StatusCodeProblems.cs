using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace HeroProc.Api.Http;

/// <summary>Bodies for responses the framework ends without one: no route (404, also a malformed id), wrong method (405).</summary>
static class StatusCodeProblems
{
    public static async Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var detail = http.Response.StatusCode switch
        {
            404 => $"Nothing is at {http.Request.Method} {http.Request.Path}: the resource does not exist or its id is malformed.",
            405 => $"{http.Request.Method} is not allowed on {http.Request.Path}.",
            415 => "The request body must be JSON, sent with Content-Type: application/json.",
            _ => null,
        };
        await ProblemWriter.WriteAsync(http, new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = http.Response.StatusCode, Title = ReasonPhrases.GetReasonPhrase(http.Response.StatusCode), Detail = detail,
        });
    }
}
