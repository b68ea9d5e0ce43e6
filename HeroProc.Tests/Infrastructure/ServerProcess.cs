using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HeroProc.Tests.Infrastructure;

/// <summary>
/// The real server as a child process (<c>dotnet HeroProc.Api.dll</c>) on its own data directory and
/// loopback port, so tests can kill it with SIGKILL and start it again on the same data, as a crash
/// would. Reusable by every restart test.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    // The tests run from HeroProc.Tests/bin/<Configuration>/net10.0; the server is built beside them.
    static readonly string ServerDll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory,
        "..", "..", "..", "..", "HeroProc.Api", "bin", Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!,
        "net10.0", "HeroProc.Api.dll"));

    readonly Dictionary<string, string> _settings;
    readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    Process? _process;

    /// <summary>The server's last output lines, for the message of a failed start.</summary>
    void Remember(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
        while (_output.Count > 50)
            _output.TryDequeue(out _);
    }

    readonly string _listenHost;

    /// <summary>
    /// Awaits <paramref name="step"/>; when it fails, fails with the server's last output lines too
    /// (warnings and errors), so a failure under load says what the server saw.
    /// </summary>
    public async Task<T> ExplainAsync<T>(Task<T> step)
    {
        try
        {
            return await step;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var live = ProcessTableCleanup.LiveUnder(DataDir).Select(pid => $"{pid} {Engine.ProcessTable.Find(pid)}");
            throw new Xunit.Sdk.XunitException($"{e.Message}\nThe server's last output:\n{string.Join('\n', _output)}" +
                $"\nLive processes of the data directory:\n{string.Join('\n', live)}");
        }
    }

    /// <param name="settings">Configuration keys such as <c>HeroProc:StopJobsOnShutdown</c>.</param>
    /// <param name="listenHost">The address to listen on (the client always talks to 127.0.0.1).</param>
    public ServerProcess(IReadOnlyDictionary<string, string>? settings = null, string listenHost = "127.0.0.1")
    {
        _settings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>());
        _listenHost = listenHost;
        Port = FreePort();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string DataDir { get; } = Directory.CreateTempSubdirectory("heroproc-server-").FullName;
    public string DatabasePath => Path.Combine(DataDir, "heroproc.db");
    public int Port { get; }
    public HttpClient Client { get; }
    public int? Pid => _process?.Id;

    /// <summary>Starts the server and waits until it answers /healthz.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ServerDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://{_listenHost}:{Port}");
        start.Environment["HeroProc__DataDir"] = DataDir;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Timeouts and stops are logged at Information: a failing test's message shows them (ExplainAsync).
        start.Environment["Logging__LogLevel__HeroProc.Api.Supervision.AttemptRunner"] = "Debug";
        start.Environment["Logging__LogLevel__HeroProc.Api.Supervision.ProcessExitWatcher"] = "Debug";
        foreach (var (key, value) in _settings)
            start.Environment[key.Replace(":", "__")] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // without a timeout it also waits for the output readers to drain
                throw new InvalidOperationException($"the server exited with {_process.ExitCode} before answering: {string.Join('\n', _output)}");
            }
            try
            {
                if ((await Client.GetAsync("/healthz")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the server did not answer /healthz within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Changes the database while the server is down, as a crash might have left it.</summary>
    public async Task ExecuteSqlAsync(string sql, object? param = null)
    {
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath}"))
            await Dapper.SqlMapper.ExecuteAsync(connection, sql, param);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited)
            return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: a graceful shutdown.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
            return;
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        ProcessTableCleanup.KillProcessesUnder(DataDir);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>After a test: no shim or job of this data directory may outlive it.</summary>
static class ProcessTableCleanup
{
    /// <summary>Kills every shim started for <paramref name="dataDir"/> and every process of its session (its jobs).</summary>
    public static void KillProcessesUnder(string dataDir)
    {
        foreach (var pid in LiveUnder(dataDir))
            Process.Start("kill", ["-KILL", pid.ToString()])?.WaitForExit();
    }

    /// <summary>
    /// Live processes (zombies aside) of <paramref name="dataDir"/>'s jobs: its shims, their sessions, and anything whose cwd is in it.
    /// The server's shim launcher is not one of them (see <see cref="Launchers"/>).
    /// </summary>
    public static List<int> LiveUnder(string dataDir)
    {
        var processes = AllProcesses();
        var shims = processes.Where(p => p.Cmdline.Contains("heroproc-shim") && p.Cmdline.Contains(dataDir) && !IsLauncher(p.Pid))
            .Select(p => p.Pid).ToHashSet();
        var live = new List<int>();
        foreach (var process in processes)
        {
            var fields = process.Stat.Length > 0 ? process.Stat[(process.Stat.LastIndexOf(')') + 2)..].Split(' ') : [];
            if (fields.Length < 4 || fields[0] == "Z")
                continue;
            // Field 6 of stat is the session: the shim is a session leader, so its jobs share its session id.
            var inSession = int.TryParse(fields[3], out var session) && shims.Contains(session);
            var cwd = "";
            try { cwd = new DirectoryInfo($"/proc/{process.Pid}/cwd").LinkTarget ?? ""; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            if (shims.Contains(process.Pid) || inSession || cwd.StartsWith(dataDir, StringComparison.Ordinal))
                live.Add(process.Pid);
        }
        return live;
    }

    /// <summary>Live shim launchers (<c>heroproc-shim --serve</c>) of servers on <paramref name="dataDir"/>: one while a server runs, none after.</summary>
    public static List<int> Launchers(string dataDir) =>
        [.. AllProcesses().Where(p => p.Cmdline.Contains(dataDir) && IsLauncher(p.Pid) && !p.Stat.Contains(") Z ")).Select(p => p.Pid)];

    static bool IsLauncher(int pid) => Read($"/proc/{pid}/comm").Trim() == "heroproc-launch";

    static List<(int Pid, string Cmdline, string Stat)> AllProcesses() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Cmdline: Read($"/proc/{pid}/cmdline").Replace('\0', ' '), Stat: Read($"/proc/{pid}/stat")))];

    static string Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
