using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HeroProc.Bench;

/// <summary>The few calls of the HTTP contract (shared/API.md) that the scenarios make, over one pooled client.</summary>
public sealed class HeroProcApi : IDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    readonly HttpClient _http;

    public HeroProcApi(Uri baseAddress)
    {
        // Enough pooled connections for every concurrent client of a scenario, each kept for the whole run:
        // a scenario measures requests, not TCP handshakes.
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Http => _http;

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync("/readyz", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>A body serialized once, to send many times without measuring the client's serializer.</summary>
    public static byte[] Body(object value) => JsonSerializer.SerializeToUtf8Bytes(value, JsonOptions);

    /// <summary>POST /api/runs with a pre-serialized body; returns the new run with its jobs.</summary>
    public async Task<RunDto> SubmitAsync(byte[] body, CancellationToken ct)
    {
        using var content = JsonContent(body);
        using var response = await _http.PostAsync("/api/runs", content, ct);
        await EnsureAsync(response, HttpStatusCode.Created, ct);
        return (await response.Content.ReadFromJsonAsync<RunDto>(JsonOptions, ct))!;
    }

    public Task<RunDto> SubmitAsync(object run, CancellationToken ct) => SubmitAsync(Body(run), ct);

    /// <summary>
    /// POST /api/runs, reading the answer without parsing it: under load the client shares the machine's
    /// cores with the server, so it does as little as a client can.
    /// </summary>
    public async Task SubmitQuietAsync(byte[] body, CancellationToken ct)
    {
        using var content = JsonContent(body);
        using var response = await _http.PostAsync("/api/runs", content, ct);
        await response.Content.LoadIntoBufferAsync(ct);
        await EnsureAsync(response, HttpStatusCode.Created, ct);
    }

    static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    /// <summary>
    /// Runs <paramref name="call"/> and returns how long it took, in milliseconds; a status other than
    /// <paramref name="expected"/> is an error, so a failing server never passes for a fast one.
    /// </summary>
    public async Task<double> TimeAsync(Func<HttpClient, Task<HttpResponseMessage>> call, HttpStatusCode expected, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await call(_http);
        // Reading the body is part of the answer a client waits for.
        await response.Content.LoadIntoBufferAsync(ct);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await EnsureAsync(response, expected, ct);
        return elapsed;
    }

    public async Task<RunDto> GetRunAsync(long id, CancellationToken ct) =>
        (await _http.GetFromJsonAsync<RunDto>($"/api/runs/{id}", JsonOptions, ct))!;

    /// <summary>The run's status from the list (job counts only): cheap enough to poll while thousands of jobs run.</summary>
    public async Task<RunDto> GetRunSummaryAsync(long id, CancellationToken ct)
    {
        var page = await _http.GetFromJsonAsync<PageDto<RunDto>>("/api/runs?limit=1", JsonOptions, ct);
        var newest = page!.Items.FirstOrDefault();
        // The newest run is ours in every scenario that polls; anything else means the bench is wrong.
        return newest is not null && newest.Id == id ? newest : await GetRunAsync(id, ct);
    }

    /// <summary>Polls the cheap list view until the run has finished, and returns it (with job counts, without jobs).</summary>
    public async Task<RunDto> WaitRunFinishedAsync(long id, TimeSpan poll, CancellationToken ct)
    {
        while (true)
        {
            var run = await GetRunSummaryAsync(id, ct);
            if (run.Status is "succeeded" or "failed" or "cancelled")
                return run;
            await Task.Delay(poll, ct);
        }
    }

    public async Task<List<JobEventDto>> JobEventsAsync(long jobId, CancellationToken ct) =>
        (await _http.GetFromJsonAsync<List<JobEventDto>>($"/api/jobs/{jobId}/events", JsonOptions, ct))!;

    public async Task<LogPageDto> JobLogsAsync(long jobId, long after, int limit, CancellationToken ct) =>
        (await _http.GetFromJsonAsync<LogPageDto>($"/api/jobs/{jobId}/logs?after={after}&limit={limit}", JsonOptions, ct))!;

    public Task PauseAsync(CancellationToken ct) => PostAcceptedAsync("/api/system/pause", ct);
    public Task CancelRunAsync(long id, CancellationToken ct) => PostAcceptedAsync($"/api/runs/{id}/cancel", ct);

    /// <summary>PUT /api/services/{name}: defines (201) or redefines (200) a service.</summary>
    public async Task PutServiceAsync(string name, object definition, CancellationToken ct)
    {
        using var response = await _http.PutAsJsonAsync($"/api/services/{name}", definition, JsonOptions, ct);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            await EnsureAsync(response, HttpStatusCode.Created, ct);
    }

    public Task StartServiceAsync(string name, CancellationToken ct) => PostAcceptedAsync($"/api/services/{name}/start", ct);
    public Task StopServiceAsync(string name, CancellationToken ct) => PostAcceptedAsync($"/api/services/{name}/stop", ct);

    public async Task<ServiceDto> GetServiceAsync(string name, CancellationToken ct) =>
        (await _http.GetFromJsonAsync<ServiceDto>($"/api/services/{name}", JsonOptions, ct))!;

    public async Task<List<ServiceDto>> ListServicesAsync(CancellationToken ct) =>
        (await _http.GetFromJsonAsync<PageDto<ServiceDto>>("/api/services", JsonOptions, ct))!.Items;

    /// <summary>A command without a body, answered 202.</summary>
    async Task PostAcceptedAsync(string path, CancellationToken ct)
    {
        using var response = await _http.PostAsync(path, null, ct);
        await EnsureAsync(response, HttpStatusCode.Accepted, ct);
    }

    static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        if (response.StatusCode != expected)
            throw new HttpRequestException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode}, expected {(int)expected}: " +
                await response.Content.ReadAsStringAsync(ct));
    }

    public void Dispose() => _http.Dispose();
}

// The parts of the contract's shapes that the scenarios read.

public sealed record PageDto<T>(List<T> Items, string? NextCursor);

public sealed record RunDto(
    long Id, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    List<JobDto>? Jobs, Dictionary<string, int>? JobCounts);

public sealed record JobDto(
    long Id, long RunId, string Name, string Status, int Attempt, int? Pid,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

public sealed record JobEventDto(string Status, int Attempt, DateTimeOffset At, string? Detail);

public sealed record LogLineDto(long Seq, string Text);

public sealed record LogPageDto(List<LogLineDto> Lines, long Next, bool Complete);

public sealed record ServiceDto(string Name, string WantedStatus, ServiceStatusDto Status);

public sealed record ServiceStatusDto(string State, long? RunId, int? Pid, int Restarts);
