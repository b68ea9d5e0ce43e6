using System.Diagnostics;
using HeroProc.Api.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace HeroProc.Tests.Supervision;

/// <summary>The pidfd watcher that follows shims this server did not start (adopted after a restart).</summary>
public sealed class ProcessExitWatcherTests
{
    /// <summary>
    /// Processes exit while others are being registered: a pidfd number freed by one exit is handed to the
    /// next registration at once, and each waiter must still complete for its own process, and only then.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task Every_waiter_completes_when_its_own_process_exits_while_others_register()
    {
        using var watcher = new ProcessExitWatcher(NullLogger<ProcessExitWatcher>.Instance);
        var waits = new List<(Process Process, Task Exited)>();
        for (var i = 0; i < 600; i++)
        {
            // Each lives a few milliseconds, so exits land among the registrations that follow.
            var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"sleep 0.00{i % 10}"]) { UseShellExecute = false })!;
            var stat = Native.ReadStat(process.Id);
            waits.Add((process, stat is { Zombie: false } alive ? watcher.WaitForExitAsync(process.Id, alive.StartTime) : Task.CompletedTask));
        }

        var all = Task.WhenAll(waits.Select(w => w.Exited));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(all.IsCompleted, $"{waits.Count(w => !w.Exited.IsCompleted)} of {waits.Count} waiters never completed");
        foreach (var (process, _) in waits)
        {
            // Completed only once the process had really exited.
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(5)));
            process.Dispose();
        }
    }
}
