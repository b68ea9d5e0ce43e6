using System.Net.Http.Json;
using HeroProc.Api.Http;
using HeroProc.Api.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using HeroProc.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace HeroProc.Tests.Infrastructure;

/// <summary>
/// The server in-process, on a fresh temporary data directory that is deleted afterwards: tests
/// never touch the user's real data. <c>await using var app = new HeroProcApp();</c>
/// With <paramref name="paused"/>, the server starts paused: runs are accepted and stay pending,
/// for tests of definitions and submissions that must not race the scheduler.
/// Jobs still running when the test ends are stopped (StopJobsOnShutdown), so no process outlives it.
/// <paramref name="settings"/> are configuration keys such as <c>HeroProc:Logs:MaxBytesPerJob</c>.
/// </summary>
public sealed class HeroProcApp(TimeProvider? clock = null, bool paused = false, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("heroproc-test-").FullName;

    public string DatabasePath => Path.Combine(DataDir, "heroproc.db");

    /// <summary>Every line the server logged (all levels, with scopes and exceptions), for "no secret in the logs" checks.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> LogLines { get; } = new();

    /// <summary>The server's own Db, for arranging state the API cannot reach yet.</summary>
    public Db Db => Services.GetRequiredService<Db>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("HeroProc:DataDir", DataDir);
        builder.UseSetting("HeroProc:StopJobsOnShutdown", "true");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            builder.UseSetting(key, value);
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
            logging.AddProvider(new CapturingLoggerProvider(LogLines));
        });
        builder.ConfigureTestServices(services =>
        {
            if (clock is not null)
                services.AddSingleton(clock);
            if (paused)
                services.AddHostedService<PauseAtStart>();
        });
    }

    sealed class CapturingLoggerProvider(System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string category) => new Logger(category, lines);
        public void Dispose() { }

        sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                lines.Enqueue($"{category} scope: {state}");
                return null;
            }

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel level) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel level, Microsoft.Extensions.Logging.EventId id, TState state,
                Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{level} {category}: {formatter(state, exception)} {exception}");
        }
    }

    /// <summary>Pauses before the first request can reach the server.</summary>
    sealed class PauseAtStart(SystemState state) : IHostedService
    {
        public Task StartAsync(CancellationToken ct) => state.SetPausedAsync(true, ct);
        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    public HttpClient Client() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>JSON in and out with the server's own options.</summary>
public static class HttpJson
{
    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body) =>
        client.PutAsJsonAsync(url, body, ApiJson.Options);

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, ApiJson.Options);

    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string? body,
        string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
        return client.SendAsync(request);
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options))!;

    /// <summary>Asserts the status, then reads the body; the body is in the message when the status is wrong.</summary>
    public static async Task<T> ExpectAsync<T>(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        await response.ExpectAsync(status);
        return await response.ReadAsync<T>();
    }

    public static async Task ExpectAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        if (response.StatusCode != status)
            Assert.Fail($"Expected {(int)status} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
