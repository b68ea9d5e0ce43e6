using System.Net;
using HeroProc.Api.Services;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Supervision;

/// <summary>Defines and drives services through the API as a client would, and waits on their status with deadlines.</summary>
static class ServiceArrange
{
    /// <summary>A long-running process action; minUptimeMs is short so tests need not wait a second for <c>running</c>.</summary>
    public static object Process(string name, string script = "exec sleep 1000", object? restartPolicy = null, object? probe = null,
        string? cwd = null, string restart = "always", params string[] dependsOn) => new
        {
            name, kind = "process", script, restart, cwd, dependsOn, probe,
            restartPolicy = restartPolicy ?? new { minUptimeMs = 200 },
        };

    public static async Task DefineAsync(this HttpClient client, string name, object[] actions, string[]? requires = null, string[]? after = null)
    {
        var response = await client.PutJsonAsync($"/api/services/{name}", new { requires = requires ?? [], after = after ?? [], actions });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public static async Task<ServiceResponse> RequestAsync(this HttpClient client, string name, string verb) =>
        await (await client.PostAsync($"/api/services/{name}/{verb}", null)).ExpectAsync<ServiceResponse>(HttpStatusCode.Accepted);

    public static async Task<ServiceResponse> GetServiceAsync(this HttpClient client, string name) =>
        await (await client.GetAsync($"/api/services/{name}")).ExpectAsync<ServiceResponse>(HttpStatusCode.OK);

    public static async Task<List<ServiceEventResponse>> ServiceEventsAsync(this HttpClient client, string name) =>
        await (await client.GetAsync($"/api/services/{name}/events")).ExpectAsync<List<ServiceEventResponse>>(HttpStatusCode.OK);

    public static async Task<ServiceResponse> WaitForServiceAsync(this HttpClient client, string name, Func<ServiceResponse, bool> condition,
        string what, TimeSpan? timeout = null)
    {
        ServiceResponse? service = null;
        await EngineArrange.UntilAsync(async () => condition(service = await client.GetServiceAsync(name)), $"service '{name}' {what}",
            timeout, () => service is null ? "nothing yet" : System.Text.Json.JsonSerializer.Serialize(service.Status));
        return service!;
    }

    public static Task<ServiceResponse> WaitForStateAsync(this HttpClient client, string name, ServiceState state, TimeSpan? timeout = null) =>
        client.WaitForServiceAsync(name, s => s.Status.State == state, $"is {state}", timeout);
}
