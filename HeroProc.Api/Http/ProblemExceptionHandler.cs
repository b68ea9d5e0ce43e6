using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Data.Sqlite;

namespace HeroProc.Api.Http;

/// <summary>
/// Turns exceptions into problem documents: requests that cannot bind (bad JSON, wrong types, a body
/// over the limit) into the 4xx the framework chose, storage failures into 503/500. Expected
/// outcomes (404, 409) never get here: handlers return them.
/// </summary>
sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (bad.StatusCode, "Request body too large", $"The request body exceeds {Validation.Limits.RequestBodyBytes} bytes."),
            BadHttpRequestException bad => (bad.StatusCode, "Invalid request", Describe(bad)),
            SqliteException { SqliteErrorCode: 5 or 6 or 13 } sqlite =>
                (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", $"The database refused the write ({sqlite.Message}); nothing was written."),
            SqliteException sqlite =>
                (StatusCodes.Status500InternalServerError, "Storage failure", $"The database failed ({sqlite.Message}); nothing was written."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "An unexpected error occurred; nothing was written."),
        };
        if (status >= 500)
            logger.LogError(exception, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);

        context.Response.StatusCode = status;
        await ProblemWriter.WriteAsync(context, new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail }, exception);
        return true;
    }

    /// <summary>The binder's message, plus the JSON path and reason when the body did not parse.</summary>
    static string Describe(BadHttpRequestException bad) => bad.InnerException switch
    {
        JsonException { Path: { } path } json => $"The request body is not valid: at '{path}', {JsonErrorText.Explain(json.Message)}",
        JsonException json => $"The request body is not valid JSON: {JsonErrorText.Explain(json.Message)}",
        _ when bad.Message.Contains("no body was provided") || bad.Message.Contains("was not provided from body") =>
            "This request needs a JSON body.",
        _ => bad.Message,
    };
}
