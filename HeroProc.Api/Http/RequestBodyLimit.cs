using HeroProc.Api.Validation;
using Microsoft.AspNetCore.Http.Features;

namespace HeroProc.Api.Http;

/// <summary>
/// Applies the 1 MiB body limit on every server: Kestrel enforces it while reading (its limit is set
/// in Program), and a declared Content-Length over it is refused before anything is read, which also
/// covers hosts without Kestrel's feature such as the test server.
/// </summary>
static class RequestBodyLimit
{
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.ContentLength > Limits.RequestBodyBytes)
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = Limits.RequestBodyBytes;
        await next(context);
    });
}
