using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace HeroProc.Bench;

/// <summary>
/// The real server as a child process (<c>dotnet HeroProc.Api.dll</c>, built in the bench's own
/// configuration) on a temporary data directory and a free loopback port. Disposing it stops the
/// server (jobs are stopped too: <c>StopJobsOnShutdown</c> is on), kills whatever a job left behind
/// and deletes the data directory, so every scenario leaves the machine as it found it.
/// </summary>
public sealed class BenchServer : IAsyncDisposable
{
    readonly Dictionary<string, string> _settings;
    readonly Queue<string> _output = new();
    Process? _process;

    /// <param name="settings">Configuration as environment variables, e.g. <c>HeroProc__MaxParallelJobs</c>.</param>
    /// <param name="dataDir">An existing data directory (a database filled beforehand); a fresh temporary one otherwise. Deleted at dispose either way.</param>
    public BenchServer(IReadOnlyDictionary<string, string>? settings = null, string? dataDir = null)
    {
        _settings = new Dictionary<string, string>
        {
            // Disposing must not leave sleeps behind, and a bench must not lose its runs to retention.
            ["HeroProc__StopJobsOnShutdown"] = "true",
            ["HeroProc__Retention__Days"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in (settings ?? new Dictionary<string, string>()).Concat(ExtraSettings))
            _settings[key] = value;
        DataDir = dataDir ?? NewDataDir();
        Port = FreePort();
        Api = new HeroProcApi(new Uri($"http://127.0.0.1:{Port}"));
    }

    /// <summary>
    /// Settings given with --server-env for every server of the run, to see where time goes (e.g.
    /// <c>HeroProc__Durability=normal</c>: what the fsyncs cost). They override the scenarios' own.
    /// </summary>
    public static Dictionary<string, string> ExtraSettings { get; } = [];

    /// <summary>The durability the servers run with, which the raw-SQLite limits must share.</summary>
    public static HeroProc.Data.Durability Durability =>
        ExtraSettings.TryGetValue("HeroProc__Durability", out var value) && value.Equals("normal", StringComparison.OrdinalIgnoreCase)
            ? HeroProc.Data.Durability.Normal
            : HeroProc.Data.Durability.Full;

    public string DataDir { get; }
    public string DatabasePath => Path.Combine(DataDir, "heroproc.db");
    public int Port { get; }
    public HeroProcApi Api { get; }
    public int Pid => _process?.Id ?? throw new InvalidOperationException("the server is not started");

    public static string NewDataDir() => Directory.CreateTempSubdirectory("heroproc-bench-").FullName;

    /// <summary>HeroProc.Api.dll of the solution, built in the configuration this bench was built in.</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = typeof(BenchServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "Configuration")?.Value ?? "Release";
            return Path.Combine(SolutionDir, "HeroProc.Api", "bin", configuration, "net10.0", "HeroProc.Api.dll");
        }
    }

    /// <summary>The folder holding HeroProc.sln, found upwards from the bench's binaries (or the working directory).</summary>
    public static string SolutionDir { get; } = FindSolutionDir();

    static string FindSolutionDir()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "HeroProc.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException("HeroProc.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts the server and waits until it is ready (recovery done, supervisor loop alive).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (!File.Exists(ServerDll))
            throw new FileNotFoundException($"build the server first: dotnet build HeroProc.Api -c Release ({ServerDll} is missing)");
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            // As deployed (deploy/heroproc.service): the content root is the server's own folder. The host
            // watches its content root for configuration changes, so a busy folder such as this checkout
            // (other builds writing to it) would cost the server CPU that has nothing to do with the bench.
            WorkingDirectory = Path.GetDirectoryName(ServerDll)!,
        };
        start.ArgumentList.Add(ServerDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{Port}");
        start.Environment["HeroProc__DataDir"] = DataDir;
        foreach (var (key, value) in _settings)
            start.Environment[key] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"the server exited with {_process.ExitCode} before it was ready:\n{LastOutput}");
            }
            if (await Api.IsReadyAsync(timeout.Token))
                return;
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>The server's last lines of output, for error messages.</summary>
    public string LastOutput
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    void Remember(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 40)
                _output.Dequeue();
        }
    }

    /// <summary>The server's resident memory now and at its peak (VmRSS, VmHWM of /proc/PID/status), in bytes.</summary>
    public (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
        }
        return (rss, peak);

        static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>
    /// CPU time (user + system) the server has used itself, and that of its shims with their jobs (and of
    /// the launcher forking them): fields 14–17 of /proc/PID/stat, in clock ticks of 10 ms.
    /// CPU time is what a crowded machine distorts least, so it shows where the time goes.
    /// </summary>
    public (TimeSpan Own, TimeSpan Children) Cpu()
    {
        var server = Times(Pid)!.Value;
        // The shims are children of the server's shim launcher, which reaps them: their CPU (and their
        // jobs') is in the launcher's children's times, and the launcher's own is the cost of forking them.
        var launcher = Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? Times(pid) : null)
            .FirstOrDefault(t => t is { Parent: var parent, Name: "heroproc-launch" } && parent == Pid);
        return (server.Own, server.Children + (launcher is { } l ? l.Own + l.Children : TimeSpan.Zero));
    }

    /// <summary>A process's parent, name and CPU times (its own; its reaped children's), from /proc/PID/stat.</summary>
    static (int Parent, string Name, TimeSpan Own, TimeSpan Children)? Times(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): ppid is field 4; utime, stime, cutime, cstime are fields 14–17.
        long Field(int field) => long.Parse(fields[field - 3]);
        const double TickMs = 10;  // USER_HZ is 100 on Linux
        return ((int)Field(4), name, TimeSpan.FromMilliseconds((Field(14) + Field(15)) * TickMs),
            TimeSpan.FromMilliseconds((Field(16) + Field(17)) * TickMs));
    }

    /// <summary>SIGTERM, so the server stops its jobs (StopJobsOnShutdown); SIGKILL if it takes over 30 s.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
            return;
        Kill(_process.Id, SigTerm);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        Api.Dispose();
        KillLeftovers(DataDir);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Processes of this data directory's jobs still alive (zombies aside): its shims (forked by the
    /// server's launcher, whose command line names the data directory), everything in a shim's session
    /// (the shim is a session leader), and anything whose working directory is inside it.
    /// </summary>
    public static List<int> LiveProcessesUnder(string dataDir)
    {
        var all = new List<(int Pid, string Cmdline, string State, int Session)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            var stat = ReadProc($"{dir}/stat");
            var close = stat.LastIndexOf(')');
            if (close < 0)
                continue;
            // After "pid (comm) ": state, ppid, pgrp, session, ...
            var fields = stat[(close + 2)..].Split(' ');
            all.Add((pid, ReadProc($"{dir}/cmdline").Replace('\0', ' '), fields[0], int.Parse(fields[3])));
        }
        // The server's shim launcher (heroproc-shim --serve, named heroproc-launch) lives as long as the server: not a job's.
        var shims = all.Where(p => p.Cmdline.Contains("heroproc-shim", StringComparison.Ordinal) && p.Cmdline.Contains(dataDir, StringComparison.Ordinal)
                                   && ReadProc($"/proc/{p.Pid}/comm").Trim() != "heroproc-launch")
            .Select(p => p.Pid).ToHashSet();
        var live = new List<int>();
        foreach (var process in all.Where(p => p.State != "Z"))
        {
            string cwd;
            try { cwd = new DirectoryInfo($"/proc/{process.Pid}/cwd").LinkTarget ?? ""; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { cwd = ""; }
            if (shims.Contains(process.Pid) || shims.Contains(process.Session) || cwd.StartsWith(dataDir, StringComparison.Ordinal))
                live.Add(process.Pid);
        }
        return live;
    }

    /// <summary>SIGKILL to every process of <paramref name="dataDir"/>'s jobs; returns how many there were.</summary>
    public static int KillLeftovers(string dataDir)
    {
        var live = LiveProcessesUnder(dataDir);
        foreach (var pid in live)
            Kill(pid, SigKill);
        return live.Count;
    }

    static string ReadProc(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    const int SigKill = 9;
    const int SigTerm = 15;

    static void Kill(int pid, int signal) => _ = NativeKill(pid, signal);

    [DllImport("libc", EntryPoint = "kill")]
    static extern int NativeKill(int pid, int signal);
}
