using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using HeroProc.Api.Actions;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>What the shim said about the start of an attempt.</summary>
public abstract record LaunchResult
{
    /// <param name="Exited">Completes when the shim has exited (its state file then holds the job's status).</param>
    public sealed record Started(ProcessIdentity ShimIdentity, ProcessIdentity Job, Task Exited) : LaunchResult;
    public sealed record Failed(string Error) : LaunchResult;
}

/// <summary>
/// Starts attempts under their shims (Shim/heroproc-shim.c) through the shim launcher, <c>heroproc-shim
/// --serve</c>: one small process per server that forks a shim per request. A fork of it costs far less
/// than starting a program from this large .NET process (see the C source). The shims it forks are in
/// sessions of their own and outlive it; if it dies, it is started again at the next launch, and the
/// shims it leaves are followed through pidfds instead.
/// </summary>
public sealed class ShimLauncher(JobPaths paths, ProcessExitWatcher exitWatcher, ILogger<ShimLauncher> logger) : IDisposable
{
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    public static string ShimPath { get; } = Path.Combine(AppContext.BaseDirectory, "heroproc-shim");

    /// <summary>The base layer of every job's environment (README): PATH, HOME, LANG, USER.</summary>
    public static IReadOnlyDictionary<string, string> BaseEnvironment { get; } = new Dictionary<string, string>
    {
        ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/",
        ["LANG"] = Environment.GetEnvironmentVariable("LANG") ?? "C.UTF-8",
        ["USER"] = Environment.GetEnvironmentVariable("USER") ?? Environment.UserName,
    };

    readonly Lock _lock = new();
    Launcher? _launcher;
    long _lastRequestId;

    /// <param name="attemptFiles">The path prefix of the attempt's files (JobPaths.AttemptFiles).</param>
    public async Task<LaunchResult> LaunchAsync(string attemptFiles, string workDir, ActionSpec spec,
        IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _lastRequestId);
        var argv = Argv(spec);
        List<string> fields =
        [
            id.ToString(CultureInfo.InvariantCulture), attemptFiles,
            Native.SignalNumber(spec.StopSignal!.Value.ToText()).ToString(CultureInfo.InvariantCulture),
            (spec.StopTimeoutSecs ?? 10).ToString(CultureInfo.InvariantCulture), spec.Cwd ?? workDir,
            argv.Count.ToString(CultureInfo.InvariantCulture), .. argv,
            environment.Count.ToString(CultureInfo.InvariantCulture), .. environment.Select(p => $"{p.Key}={p.Value}"),
        ];
        Task<LaunchResult> reported;
        try
        {
            reported = CurrentLauncher().Send(id, fields);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            logger.LogError(e, "Cannot start the shim launcher {Shim}", ShimPath);
            return new LaunchResult.Failed($"cannot start the job's shim ({ShimPath}): {e.Message}");
        }
        try
        {
            return await reported.WaitAsync(ReadyTimeout, ct);
        }
        catch (TimeoutException)
        {
            // The attempt is recorded as failed (and may be retried): should the shim report a start after
            // all, its job must not run on unwatched beside the next attempt.
            _ = reported.ContinueWith(late =>
            {
                if (late.Result is LaunchResult.Started started && Native.IsAlive(started.ShimIdentity.Pid, started.ShimIdentity.StartTime))
                    Native.Signal(started.ShimIdentity.Pid, Native.SigTerm);
            }, TaskScheduler.Default);
            return new LaunchResult.Failed($"the job's shim did not report a start within {ReadyTimeout.TotalSeconds:0} s");
        }
    }

    Launcher CurrentLauncher()
    {
        lock (_lock)
        {
            if (_launcher is not { Alive: true })
            {
                _launcher?.Dispose();
                _launcher = new Launcher(paths.DataDir, exitWatcher, logger);
            }
            return _launcher;
        }
    }

    public void Dispose()
    {
        lock (_lock)
            _launcher?.Dispose();
    }

    /// <summary>The argv the shim executes: an interpreter with the script, or for exec the split command line.</summary>
    public static IReadOnlyList<string> Argv(ActionSpec spec) => spec.Interpreter switch
    {
        Interpreter.Bash => ["bash", "-c", spec.Script!],
        Interpreter.Python3 => ["python3", "-c", spec.Script!],
        Interpreter.Exec => CommandLine.Split(spec.Script!),
        _ => ["/bin/sh", "-c", spec.Script!],
    };

    /// <summary>One <c>heroproc-shim --serve</c> process: requests written to its stdin, its reports read by a thread of its own.</summary>
    sealed class Launcher : IDisposable
    {
        readonly Process _process;
        readonly Stream _requests;
        readonly ProcessExitWatcher _exitWatcher;
        readonly ILogger _logger;
        readonly ConcurrentDictionary<long, TaskCompletionSource<LaunchResult>> _launching = new();
        readonly ConcurrentDictionary<int, (long StartTime, TaskCompletionSource Exited)> _running = new();
        // Shims forked for a launch that has not reported yet, by pid (only the reader thread uses it).
        readonly Dictionary<int, string> _forked = [];

        public Launcher(string dataDir, ProcessExitWatcher exitWatcher, ILogger logger)
        {
            _exitWatcher = exitWatcher;
            _logger = logger;
            var start = new ProcessStartInfo(ShimPath)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            // The data directory only names the launcher (and the shims it forks) in the process table.
            start.ArgumentList.Add("--serve");
            start.ArgumentList.Add(dataDir);
            _process = Process.Start(start)!;
            _requests = _process.StandardInput.BaseStream;
            new Thread(ReadReports) { IsBackground = true, Name = "heroproc-shim-launcher" }.Start();
        }

        volatile bool _alive = true;
        volatile bool _closing;

        public bool Alive => _alive;

        public Task<LaunchResult> Send(long id, IReadOnlyList<string> fields)
        {
            var payload = new MemoryStream();
            foreach (var field in fields)
            {
                payload.Write(Encoding.UTF8.GetBytes(field));
                payload.WriteByte(0);
            }
            var reported = new TaskCompletionSource<LaunchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _launching[id] = reported;
            try
            {
                lock (_requests)
                {
                    _requests.Write(Encoding.ASCII.GetBytes($"{payload.Length}\n"));
                    _requests.Write(payload.GetBuffer(), 0, (int)payload.Length);
                    _requests.Flush();
                }
            }
            catch (IOException)
            {
                _launching.TryRemove(id, out _);
                throw;
            }
            // Dead before the request was registered: its reader will not answer it any more.
            if (!_alive && _launching.TryRemove(id, out _))
                return Task.FromResult<LaunchResult>(new LaunchResult.Failed("the job's shim launcher exited"));
            return reported.Task;
        }

        void ReadReports()
        {
            try
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                {
                    try
                    {
                        Handle(line.Split(' ', 4));
                    }
                    catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException)
                    {
                        _logger.LogError(e, "The shim launcher's report '{Line}' makes no sense", line);
                    }
                }
            }
            catch (Exception e) when (!_closing)
            {
                _logger.LogError(e, "Reading the shim launcher's reports failed");
            }
            catch (Exception) when (_closing)
            {
            }
            _alive = false;
            // Closed by the server on its way out: its jobs run on, to be re-adopted at the next start;
            // nothing here may take their shims for exited.
            if (_closing)
                return;
            _logger.LogWarning("The shim launcher exited; the shims it started are followed through their pids");
            foreach (var id in _launching.Keys)
                if (_launching.TryRemove(id, out var waiting))
                    waiting.TrySetResult(new LaunchResult.Failed("the job's shim launcher exited"));
            foreach (var pid in _running.Keys)
                if (_running.TryRemove(pid, out var shim))
                    _exitWatcher.WaitForExitAsync(pid, shim.StartTime).ContinueWith(_ => shim.Exited.TrySetResult(), TaskScheduler.Default);
        }

        void Handle(string[] words)
        {
            switch (words)
            {
                case ["forked", var id, var pid] when _launching.ContainsKey(Long(id)):
                    _forked[Int(pid)] = id;
                    break;
                case ["forked", ..]:
                    break;  // the shim reported first
                case ["ready", var id, var shimPid, var rest]:
                    _forked.Remove(Int(shimPid));
                    var numbers = rest.Split(' ');
                    var shim = new ProcessIdentity(Int(shimPid), Long(numbers[0]));
                    // Registered before anything else is read: the shim's "exit" can only come after its "ready".
                    var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _running[shim.Pid] = (shim.StartTime, exited);
                    Complete(id, new LaunchResult.Started(shim, new ProcessIdentity(Int(numbers[1]), Long(numbers[2])), exited.Task));
                    break;
                case ["error", var id, var errorPid, var message]:
                    _forked.Remove(Int(errorPid));
                    Complete(id, new LaunchResult.Failed(message));
                    break;
                case ["exit", var pid]:
                    if (_running.TryRemove(Int(pid), out var ended))
                        ended.Exited.TrySetResult();
                    else if (_forked.Remove(Int(pid), out var unstarted))
                        Complete(unstarted, new LaunchResult.Failed("the job's shim ended before it could start the job (killed?)"));
                    break;
                default:
                    _logger.LogWarning("The shim launcher said something unexpected: {Line}", string.Join(' ', words));
                    break;
            }
        }

        void Complete(string id, LaunchResult result)
        {
            if (_launching.TryRemove(Long(id), out var waiting))
                waiting.TrySetResult(result);
        }

        static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);
        static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);

        public void Dispose()
        {
            // Closing its stdin ends the launcher; the shims it started run on (a restart re-adopts them).
            _closing = true;
            try { _requests.Dispose(); } catch (IOException) { }
            _process.WaitForExit(TimeSpan.FromSeconds(5));
            _process.Dispose();
        }
    }
}
