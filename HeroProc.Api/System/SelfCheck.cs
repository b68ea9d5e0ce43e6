namespace HeroProc.Api;

/// <summary>
/// <c>HeroProc.Api --self-check</c>: asks the running server's <c>/readyz</c> and exits 0 when ready, 1
/// otherwise. The container's HEALTHCHECK uses it, because the runtime image has no curl.
/// </summary>
public static class SelfCheck
{
    public static async Task<int> RunAsync()
    {
        var url = (Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://127.0.0.1:5180").Split(';')[0]
            .Replace("://0.0.0.0", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://+", "://127.0.0.1").Replace("://[::]", "://127.0.0.1");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
        try
        {
            var response = await client.GetAsync(url.TrimEnd('/') + "/readyz");
            await Console.Out.WriteLineAsync($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"not ready: {e.Message}");
            return 1;
        }
    }
}
