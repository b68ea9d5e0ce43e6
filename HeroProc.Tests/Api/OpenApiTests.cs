using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using HeroProc.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HeroProc.Tests.Api;

public partial class OpenApiTests
{
    [Fact]
    public async Task The_openapi_document_lists_every_route_the_server_maps()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method.ToUpperInvariant()} {Normalize(e.RoutePattern.RawText!)}"))
            .ToHashSet();

        var document = await client.GetJsonAsync("/swagger/v1/swagger.json");

        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => HttpMethods.Contains(operation.Name))
                .Select(operation => $"{operation.Name.ToUpperInvariant()} {Normalize(path.Name)}"))
            .ToHashSet();
        Assert.NotEmpty(mapped);
        Assert.Contains("POST /api/runs", mapped);
        Assert.Contains("GET /api/jobs/{id}/events", mapped);
        Assert.Equal(mapped.Order(), documented.Order());
    }

    [Fact]
    public async Task Swagger_ui_answers()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var response = await client.GetAsync("/swagger/index.html");

        await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    static readonly HashSet<string> HttpMethods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    /// <summary>'/api/runs/{id:long}' and 'api/runs/{id}' alike: a leading slash, no trailing one, no route constraints.</summary>
    static string Normalize(string pattern) =>
        "/" + RouteConstraint().Replace(pattern, "}").Trim('/');

    [GeneratedRegex(@":[^}]+\}")]
    private static partial Regex RouteConstraint();
}
