using System.Diagnostics;

namespace HeroProc.Bench;

/// <summary>One benchmark: the HeroProc side and its limit, measured in the same run, within a deadline.</summary>
public abstract class Scenario
{
    /// <summary>The name given on the command line and shown in the table.</summary>
    public abstract string Name { get; }

    /// <summary>How it is measured, one paragraph for BENCHMARKS.md.</summary>
    public abstract string Method { get; }

    /// <summary>After this the scenario is cancelled, cleaned up, and reported as failed.</summary>
    public abstract TimeSpan Deadline { get; }

    public abstract Task RunAsync(BenchContext context, CancellationToken ct);
}

/// <param name="Repeats">How many times latency and memory measurements are repeated (the median is judged).</param>
/// <param name="Quick">Smaller sizes, for checking that the bench itself works; figures are not comparable.</param>
public sealed record BenchContext(Report Report, int Repeats, bool Quick)
{
    /// <summary>The full size, or a tenth of it (at least 1) in quick mode.</summary>
    public int Size(int full) => Quick ? Math.Max(1, full / 10) : full;

    public void Progress(string scenario, string text) => Console.WriteLine($"  [{DateTime.Now:HH:mm:ss}] {scenario}: {text}");
}

/// <summary>A limit's wall time, and the CPU time (user + system) its processes used.</summary>
public readonly record struct ShellTiming(TimeSpan Wall, TimeSpan Cpu);

/// <summary>The limit sides that are plain shell commands.</summary>
public static class Shell
{
    /// <summary>
    /// Runs <c>/bin/sh -c <paramref name="script"/></c> and returns its wall time and the CPU time of the
    /// processes it waited for (the shell's <c>times</c>); a non-zero exit is an error.
    /// </summary>
    public static async Task<ShellTiming> TimeAsync(string script, CancellationToken ct)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        // 'times' prints the shell's own times, then its children's: "0m0.110000s 0m0.030000s".
        start.ArgumentList.Add($"{script}\nstatus=$?; times; exit $status");
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the limit command failed with exit {process.ExitCode}: {script}");
        var cpu = lines.Length > 0 ? lines[^1].Split(' ').Sum(Seconds) : double.NaN;
        return new ShellTiming(elapsed, TimeSpan.FromSeconds(cpu));
    }

    /// <summary>"1m2.500000s" as seconds.</summary>
    static double Seconds(string time)
    {
        var m = time.IndexOf('m');
        return double.Parse(time[..m], System.Globalization.CultureInfo.InvariantCulture) * 60 +
               double.Parse(time[(m + 1)..].TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);
    }
}
