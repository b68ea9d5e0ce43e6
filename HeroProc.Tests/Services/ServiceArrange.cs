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
static class ServiceArrange
{
    public const int MinUptimeMs = 200;

    /// <summary>
    /// A long-running process action. The defaults are the server's own (restart always, a 10 s stop
    /// timeout, no probe, no cwd, no dependsOn) but for <c>minUptimeMs</c>, which is <see cref="MinUptimeMs"/>
    /// unless a restart policy is given.
    /// </summary>
    public static object Process(string name = "main", string script = "exec sleep 1000", object? restartPolicy = null, object? probe = null,
        string? cwd = null, string restart = "always", int stopTimeoutSecs = 10, params string[] dependsOn) => new
        {
            name, kind = "process", script, restart, cwd, dependsOn, probe, stopTimeoutSecs,
            restartPolicy = restartPolicy ?? new { minUptimeMs = MinUptimeMs },
        };

    /// <summary>A probe that looks every second and counts a single failure; above 0, restartAfter restarts the process after that many in a row.</summary>
    public static object FastProbe(string type, string target, int restartAfter = 0) =>
        new { type, target, intervalSecs = 1, failureThreshold = 1, restartAfter };

    public static async Task DefineAsync(this HttpClient client, string name, object[] actions, string[]? requires = null, string[]? after = null)
    {
        var response = await client.PutJsonAsync($"/api/services/{name}", new { requires = requires ?? [], after = after ?? [], actions });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
            $"define '{name}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>POST start, stop or restart, asserting the 202 and returning the service it answers with.</summary>
    public static async Task<ServiceResponse> RequestAsync(this HttpClient client, string name, string verb) =>
        await (await client.PostAsync($"/api/services/{name}/{verb}", null)).ExpectAsync<ServiceResponse>(HttpStatusCode.Accepted);

    /// <summary>Defines the service with one action (by default a long-running process), starts it and waits until it runs.</summary>
    public static async Task<ServiceResponse> DefineAndStartAsync(this HttpClient client, string name, object? action = null)
    {
        await client.DefineAsync(name, [action ?? Process()]);
        await client.RequestAsync(name, "start");
        return await client.WaitForRunningAsync(name);
    }

    /// <summary>Defines a requiring b, each with one long-running process, starts a (and so b) and waits until both run.</summary>
    public static async Task<(ServiceResponse A, ServiceResponse B)> StartPairAsync(this HttpClient client)
    {
        await client.DefineAsync("b", [Process()]);
        await client.DefineAsync("a", [Process()], requires: ["b"]);
        await client.RequestAsync("a", "start");
        return (await client.WaitForRunningAsync("a"), await client.WaitForRunningAsync("b"));
    }

    /// <summary>Asks the service to stop, waits until the services named (its dependents), then it, are stopped, and returns it stopped.</summary>
    public static async Task<ServiceResponse> StopAndWaitAsync(this HttpClient client, string name, params string[] alsoStopped)
    {
        await client.RequestAsync(name, "stop");
        foreach (var other in alsoStopped)
            await client.WaitForStoppedAsync(other);
        return await client.WaitForStoppedAsync(name);
    }

    public static async Task<ServiceResponse> GetServiceAsync(this HttpClient client, string name) =>
        await (await client.GetAsync($"/api/services/{name}")).ExpectAsync<ServiceResponse>(HttpStatusCode.OK);

    public static async Task<List<ServiceSummary>> ServiceListAsync(this HttpClient client) =>
        (await (await client.GetAsync("/api/services")).ExpectAsync<ListPage<ServiceSummary>>(HttpStatusCode.OK)).Items;

    public static async Task<List<ServiceEventResponse>> ServiceEventsAsync(this HttpClient client, string name) =>
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
        await EngineArrange.UntilAsync(async () => condition(service = await client.GetServiceAsync(name)), $"service '{name}' {what}",
            timeout, () => service is null ? "nothing yet" : Describe(service));
        return service!;
    }

    public static Task<ServiceResponse> WaitForStateAsync(this HttpClient client, string name, ServiceState state, TimeSpan? timeout = null) =>
        client.WaitForServiceAsync(name, s => s.Status.State == state, $"is {state}", timeout);

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
