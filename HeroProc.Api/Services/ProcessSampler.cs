using System.Collections.Concurrent;
using System.Globalization;
using HeroProc.Api.Supervision;

namespace HeroProc.Api.Services;

/// <summary>Memory and CPU of one process group, as last sampled.</summary>
public sealed record GroupUsage(long MemoryBytes, double? CpuPercent);

/// <summary>
/// Samples, every two seconds, the memory (RSS) and CPU time of every running attempt's process group
/// from <c>/proc</c>, summed over the whole group. Status calls read the last sample: 200 services
/// and 50 callers cost one scan of <c>/proc</c> per interval, not one per call. CPU percent is the CPU
/// time the group used between two samples over the time between them (100 = one core).
/// </summary>
public sealed class ProcessSampler(ActiveAttempts active, ILogger<ProcessSampler> logger) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    /// <summary>USER_HZ: /proc counts CPU time in these ticks on every Linux architecture .NET runs on.</summary>
    const double TicksPerSecond = 100;

    readonly ConcurrentDictionary<int, GroupUsage> _usage = new();
    readonly Lock _sampling = new();
    Dictionary<int, (long CpuTicks, long At)> _previous = [];

    /// <summary>The last sample of the group led by <paramref name="pgid"/>; null before the first one.</summary>
    public GroupUsage? For(int pgid) => _usage.GetValueOrDefault(pgid);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                Sample();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Sampling /proc failed");
            }
        } while (await timer.WaitForNextTickAsync(stopping).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    void Sample()
    {
        lock (_sampling)
            SampleLocked();
    }

    void SampleLocked()
    {
        var groups = active.All.Select(h => h.Job.Pid).ToHashSet();
        var now = Environment.TickCount64;
        var totals = groups.Count == 0 ? [] : ReadGroups(groups);
        var next = new Dictionary<int, (long, long)>();
        foreach (var (pgid, (rssPages, cpuTicks)) in totals)
        {
            double? percent = _previous.TryGetValue(pgid, out var before) && now > before.At
                ? Math.Max(0, cpuTicks - before.CpuTicks) / TicksPerSecond / ((now - before.At) / 1000.0) * 100
                : null;
            _usage[pgid] = new GroupUsage(rssPages * Environment.SystemPageSize, percent is null ? null : Math.Round(percent.Value, 1));
            next[pgid] = (cpuTicks, now);
        }
        foreach (var gone in _usage.Keys.Where(k => !totals.ContainsKey(k)))
            _usage.TryRemove(gone, out _);
        _previous = next;
    }

    /// <summary>RSS pages and CPU ticks (user + system) summed per process group, for the groups asked.</summary>
    static Dictionary<int, (long RssPages, long CpuTicks)> ReadGroups(HashSet<int> groups)
    {
        var totals = new Dictionary<int, (long, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            // Fields after the command name (which may hold spaces): [0] state, [2] pgrp, [11] utime, [12] stime, [21] rss.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var pgrp = int.Parse(fields[2], CultureInfo.InvariantCulture);
            if (!groups.Contains(pgrp) || fields[0] == "Z")
                continue;
            var cpu = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var rss = long.Parse(fields[21], CultureInfo.InvariantCulture);
            totals[pgrp] = totals.TryGetValue(pgrp, out var sum) ? (sum.Item1 + rss, sum.Item2 + cpu) : (rss, cpu);
        }
        return totals;
    }
}
