using System.Net;
using HeroProc.Api.Runs;
using HeroProc.Api.Services;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Services;

/// <summary>A page of a list, as the API answers it.</summary>
sealed record ListPage<T>(List<T> Items, string? NextCursor);

/// <summary>
/// Defines and drives services through the API as a client would, and waits on their status with
/// deadlines. Process actions get a short <c>minUptimeMs</c> so a test need not wait a second for <c>running</c>.
/// </summary>
static class ServiceTestKit
{
    public const int MinUptimeMs = 200;

    /// <summary>A long-running process action.</summary>
    public static object Process(string name = "main", string script = "exec sleep 1000", int stopTimeoutSecs = 10) => new
    {
        name, kind = "process", script, stopTimeoutSecs, restartPolicy = new { minUptimeMs = MinUptimeMs },
    };

    public static async Task DefineServiceAsync(this HttpClient client, string name, object[] actions, string[]? requires = null)
    {
        var response = await client.PutJsonAsync($"/api/services/{name}", new { requires = requires ?? [], actions });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
            $"define '{name}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>POST start, stop or restart, asserting the 202 and returning the service it answers with.</summary>
    public static async Task<ServiceResponse> ControlServiceAsync(this HttpClient client, string name, string verb) =>
        await (await client.PostAsync($"/api/services/{name}/{verb}", null)).ExpectAsync<ServiceResponse>(HttpStatusCode.Accepted);

    public static async Task<ServiceResponse> ServiceAsync(this HttpClient client, string name) =>
        await (await client.GetAsync($"/api/services/{name}")).ExpectAsync<ServiceResponse>(HttpStatusCode.OK);

    public static async Task<List<ServiceSummary>> ServiceListAsync(this HttpClient client) =>
        (await (await client.GetAsync("/api/services")).ExpectAsync<ListPage<ServiceSummary>>(HttpStatusCode.OK)).Items;

    public static async Task<List<ServiceEventResponse>> ServiceHistoryAsync(this HttpClient client, string name) =>
        await (await client.GetAsync($"/api/services/{name}/events")).ExpectAsync<List<ServiceEventResponse>>(HttpStatusCode.OK);

    public static async Task<RunLogsResponse> ServiceLogsAsync(this HttpClient client, string name) =>
        await (await client.GetAsync($"/api/services/{name}/logs")).ExpectAsync<RunLogsResponse>(HttpStatusCode.OK);

    /// <summary>Every run of the service (GET /api/runs?service=), newest first.</summary>
    public static async Task<List<RunSummary>> ServiceRunsAsync(this HttpClient client, string name) =>
        (await (await client.GetAsync($"/api/runs?service={name}&limit=500")).ExpectAsync<ListPage<RunSummary>>(HttpStatusCode.OK)).Items;

    public static async Task<ServiceResponse> WaitForServiceAsync(this HttpClient client, string name, Func<ServiceResponse, bool> condition,
        string what, TimeSpan? timeout = null)
    {
        ServiceResponse? service = null;
        await EngineArrange.UntilAsync(async () => condition(service = await client.ServiceAsync(name)), $"service '{name}' {what}",
            timeout, () => service is null ? "nothing yet" : Describe(service));
        return service!;
    }

    /// <summary>Waits until every process of the service is up (running, with a pid) and the service says so.</summary>
    public static Task<ServiceResponse> WaitForRunningAsync(this HttpClient client, string name, TimeSpan? timeout = null) =>
        client.WaitForServiceAsync(name, s => s.Status.State == ServiceState.Running && s.Status.Pid is not null &&
                                              s.Status.Processes.All(p => p is { State: ServiceState.Running, Pid: not null }),
            "is running", timeout);

    public static Task<ServiceResponse> WaitForStoppedAsync(this HttpClient client, string name, TimeSpan? timeout = null) =>
        client.WaitForServiceAsync(name, s => s.WantedStatus == WantedStatus.Stop && s.Status.State == ServiceState.Stopped, "is stopped", timeout);

    /// <summary>No shim or process of this data directory is left (checked in /proc).</summary>
    public static Task NoProcessLeftAsync(string dataDir, TimeSpan? timeout = null) =>
        EngineArrange.UntilAsync(() => Task.FromResult(ProcessTableCleanup.LiveUnder(dataDir).Count == 0),
            "no process of the data directory is left", timeout ?? TimeSpan.FromSeconds(15),
            () => "live: " + string.Join(", ", ProcessTableCleanup.LiveUnder(dataDir)));

    /// <summary>The process (group) is alive: it exists in /proc and is not a zombie.</summary>
    public static bool IsAlive(int pid) => ProcessTable.Find(pid) is { State: not 'Z' };

    public static string Describe(ServiceResponse service) =>
        $"wanted {service.WantedStatus}; " + System.Text.Json.JsonSerializer.Serialize(service.Status, HeroProc.Api.Http.ApiJson.Options);

    /// <summary>Runs not finished, by service: what a service wanted stopped must not have.</summary>
    public const string ActiveServiceRunsSql =
        "SELECT service FROM runs WHERE service IS NOT NULL AND status NOT IN ('succeeded', 'failed', 'cancelled')";
}
