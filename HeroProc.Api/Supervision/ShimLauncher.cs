using System.Diagnostics;
using System.Globalization;
using HeroProc.Api.Actions;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>What the shim said about the start of an attempt.</summary>
public abstract record LaunchResult
{
    public sealed record Started(Process Shim, ProcessIdentity ShimIdentity, ProcessIdentity Job) : LaunchResult;
    public sealed record Failed(string Error) : LaunchResult;
}

/// <summary>Starts one attempt of a job under its shim (Shim/heroproc-shim.c), with its environment and directory.</summary>
public sealed class ShimLauncher(ILogger<ShimLauncher> logger)
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

    public async Task<LaunchResult> LaunchAsync(string attemptDir, string workDir, ActionSpec spec,
        IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var start = new ProcessStartInfo(ShimPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(attemptDir);
        start.ArgumentList.Add(Native.SignalNumber(spec.StopSignal!.Value.ToText()).ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add((spec.StopTimeoutSecs ?? 10).ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(spec.Cwd ?? workDir);
        start.ArgumentList.Add("--");
        foreach (var argument in Argv(spec))
            start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        Process shim;
        try
        {
            shim = Process.Start(start)!;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            logger.LogError(e, "Cannot start the shim {Shim}", ShimPath);
            return new LaunchResult.Failed($"cannot start the job's shim ({ShimPath}): {e.Message}");
        }

        string? line;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(ReadyTimeout);
            try { line = await shim.StandardOutput.ReadLineAsync(timeout.Token); }
            catch (OperationCanceledException) { line = null; }
        }
        shim.StandardOutput.Close();

        var words = line?.Split(' ', 3) ?? [];
        if (words is ["ready", var pid, var startTime])
            return new LaunchResult.Started(shim, new ProcessIdentity(shim.Id, Native.ReadStat(shim.Id)?.StartTime ?? 0),
                new ProcessIdentity(int.Parse(pid, CultureInfo.InvariantCulture), long.Parse(startTime, CultureInfo.InvariantCulture)));

        await shim.WaitForExitAsync(CancellationToken.None);
        shim.Dispose();
        return new LaunchResult.Failed(words is ["error", ..] ? string.Join(' ', words[1..]) : "the job's shim did not report a start");
    }

    /// <summary>The argv the shim executes: an interpreter with the script, or for exec the split command line.</summary>
    public static IReadOnlyList<string> Argv(ActionSpec spec) => spec.Interpreter switch
    {
        Interpreter.Bash => ["bash", "-c", spec.Script!],
        Interpreter.Python3 => ["python3", "-c", spec.Script!],
        Interpreter.Exec => CommandLine.Split(spec.Script!),
        _ => ["/bin/sh", "-c", spec.Script!],
    };
}
