using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace HeroProc.Api.Security;

/// <summary>
/// Bearer-token authentication (API.md, "Authentication"). With tokens configured, every <c>/api</c>
/// route and <c>/metrics</c> need one; health, readiness, Swagger and the dashboard's static files stay
/// open. The text/event-stream routes also take the token as <c>access_token</c>, because a browser's
/// EventSource cannot send headers.
/// </summary>
public static class BearerTokens
{
    public static IApplicationBuilder UseBearerTokens(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<IOptions<HeroProcOptions>>().Value;
        // Compared as SHA-256 digests with a constant-time comparison: neither content nor length leaks through timing.
        var digests = options.Auth.Tokens.Where(t => !string.IsNullOrEmpty(t)).Select(Digest).ToList();
        if (digests.Count == 0)
            return app;

        return app.Use(async (context, next) =>
        {
            if (!NeedsToken(context.Request.Path) || Presented(context) is { } token && digests.Any(d => CryptographicOperations.FixedTimeEquals(d, Digest(token))))
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Http.ProblemWriter.WriteAsync(context, new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized, Title = "Unauthorized",
                Detail = "This route needs 'Authorization: Bearer <token>' with a token HeroProc is configured with (HeroProc__Auth__Tokens__N).",
            });
        });
    }

    static bool NeedsToken(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    static string? Presented(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header["Bearer ".Length..].Trim();
        // Only the event streams, read with GET: a token in a URL ends up in logs and histories.
        var isEventStream = HttpMethods.IsGet(context.Request.Method)
                            && (context.Request.Path.Equals("/api/events", StringComparison.OrdinalIgnoreCase)
                                || context.Request.Path.Value?.EndsWith("/logs/stream", StringComparison.OrdinalIgnoreCase) == true);
        return isEventStream ? context.Request.Query["access_token"].FirstOrDefault() : null;
    }

    static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

/// <summary>Without tokens the server must not be reachable from the network: only loopback or a Unix socket.</summary>
public static class ListenGuard
{
    public static void EnsureSafe(IEnumerable<string> urls, HeroProcOptions options)
    {
        if (options.Auth.Tokens.Any(t => !string.IsNullOrEmpty(t)))
            return;
        var exposed = urls.Where(url => !IsLocal(url)).ToList();
        if (exposed.Count > 0)
            throw new UnsafeListenException(
                $"HeroProc refuses to listen on {string.Join(", ", exposed)} without authentication: it runs commands for whoever reaches it. " +
                "Set a bearer token (HeroProc__Auth__Tokens__0=<a long random secret>), or listen on 127.0.0.1, [::1], localhost " +
                "or a Unix socket (--urls http://unix:/run/heroproc.sock).");
    }

    static bool IsLocal(string url)
    {
        if (url.StartsWith("http://unix:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://unix:", StringComparison.OrdinalIgnoreCase))
            return true;
        // Kestrel's wildcards ("http://*:80", "http://+:80") are not URIs a parser accepts: they bind everything.
        var host = url.Split("://", 2) is [_, var rest] ? rest.Split('/')[0] : url;
        host = host.StartsWith('[') ? host[..(host.IndexOf(']') + 1)] : host.Split(':')[0];
        return host is "127.0.0.1" or "[::1]" || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
               || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
    }
}

/// <summary>The server was asked to listen beyond loopback without authentication.</summary>
public sealed class UnsafeListenException(string message) : Exception(message);
