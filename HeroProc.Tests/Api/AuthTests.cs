using System.Net;
using System.Net.Http.Headers;
using HeroProc.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HeroProc.Tests.Api;

public class AuthTests
{
    const string Token = "a-long-random-test-token-0123456789";
    static readonly Dictionary<string, string> WithToken = new() { ["HeroProc:Auth:Tokens:0"] = Token };

    /// <summary>
    /// Every route the server maps, read from its endpoint data source (so a new route cannot escape):
    /// /api and /metrics need the token, everything else stays open.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task Every_route_answers_401_without_or_with_a_wrong_token_and_not_with_the_right_one()
    {
        await using var app = new HeroProcApp(paused: true, settings: WithToken);
        var client = app.Client();
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Route: e.RoutePattern.RawText!)))
            .Distinct().ToList();
        var failures = new List<string>();

        foreach (var (method, route) in routes)
        {
            var url = "/" + route.TrimStart('/').Replace("{id:long}", "1").Replace("{name}", "x");
            var guarded = url.StartsWith("/api") || url.StartsWith("/metrics");
            foreach (var (token, expectRefused) in new[] { ((string?)null, guarded), ("wrong-token", guarded), (Token, false) })
            {
                var status = await StatusAsync(client, method, url, token);
                if ((status == HttpStatusCode.Unauthorized) != expectRefused)
                    failures.Add($"{method} {url} with {(token is null ? "no token" : token == Token ? "the right token" : "a wrong token")}: {(int)status}");
            }
        }

        Assert.True(routes.Count >= 25, $"{routes.Count} routes found");
        Assert.Contains(routes, r => r.Route.StartsWith("/healthz"));
        Assert.Empty(failures);
    }

    [Fact(Timeout = 60_000)]
    public async Task Event_streams_take_the_token_as_access_token_and_other_routes_do_not()
    {
        await using var app = new HeroProcApp(paused: true, settings: WithToken);
        var client = app.Client();

        var right = await StatusAsync(client, "GET", $"/api/events?access_token={Token}", null);
        var wrong = await StatusAsync(client, "GET", "/api/events?access_token=nope", null);
        var notAStream = await StatusAsync(client, "GET", $"/api/runs?access_token={Token}", null);
        var pretending = new HttpRequestMessage(HttpMethod.Get, $"/api/secrets?access_token={Token}") { Headers = { { "Accept", "text/event-stream" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(pretending)).StatusCode);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (right, wrong, notAStream));
        var problem = await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/runs"), HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", ProblemAssert.Text(problem));
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_tokens_the_server_refuses_to_listen_beyond_loopback_and_with_one_it_starts()
    {
        await using var open = new ServerProcess(listenHost: "0.0.0.0");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(open.StartAsync);
        Assert.Contains("HeroProc__Auth__Tokens__0", refused.Message);

        await using var locked = new ServerProcess(WithToken, listenHost: "0.0.0.0");
        await locked.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await locked.Client.GetAsync("/api/runs")).StatusCode);
        locked.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await locked.Client.GetAsync("/api/runs")).StatusCode);
    }

    /// <summary>The status of one request; an event stream is dropped once its headers arrived.</summary>
    static async Task<HttpStatusCode> StatusAsync(HttpClient client, string method, string url, string? token)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (method is "POST" or "PUT")
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }
}
