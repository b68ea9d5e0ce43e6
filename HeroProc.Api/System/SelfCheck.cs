using System.Net.Sockets;

namespace HeroProc.Api;

/// <summary>
/// <c>HeroProc.Api --self-check</c>: asks the running server's <c>/readyz</c> and exits 0 when ready, 1
/// otherwise. The container's HEALTHCHECK uses it, because the runtime image has no curl. It asks the
/// first address of ASPNETCORE_URLS: a wildcard host is asked on 127.0.0.1, a Unix socket through the socket.
/// </summary>
public static class SelfCheck
{
    const string UnixPrefix = "http://unix:";

    public static async Task<int> RunAsync()
    {
        var url = (Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://127.0.0.1:5180").Split(';')[0]
            .Replace("://0.0.0.0", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://+", "://127.0.0.1").Replace("://[::]", "://127.0.0.1");
        var handler = new SocketsHttpHandler();
        if (url.StartsWith(UnixPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var socketPath = url[UnixPrefix.Length..];
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
            url = "http://localhost";
        }
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(4) };
        try
        {
            var response = await client.GetAsync(url.TrimEnd('/') + "/readyz");
            await Console.Out.WriteLineAsync($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
        {
            await Console.Error.WriteLineAsync($"not ready: {e.Message}");
            return 1;
        }
    }
}
