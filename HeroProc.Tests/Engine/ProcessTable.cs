using System.Globalization;

namespace HeroProc.Tests.Engine;

/// <summary>
/// What the kernel says about processes, read from /proc as an outside tool would: the live members of
/// a process group, and processes whose command line holds a marker. A zombie (state Z) has already
/// ended and is not counted.
/// </summary>
static class ProcessTable
{
    public sealed record Entry(int Pid, char State, int ParentPid, int Group, int Session);

    /// <summary>The live processes whose process group is <paramref name="pgid"/>.</summary>
    public static List<Entry> LiveInGroup(int pgid) => All().Where(p => p.Group == pgid && p.State != 'Z').ToList();

    /// <summary>The live processes whose command line contains <paramref name="marker"/>.</summary>
    public static List<Entry> LiveWithMarker(string marker) =>
        All().Where(p => p.State != 'Z' && CommandLine(p.Pid).Contains(marker, StringComparison.Ordinal)).ToList();

    public static Entry? Find(int pid) => Read(pid);

    /// <summary>SIGKILL to one process the test knows by pid, for cleanup after a failure.</summary>
    public static void Kill(int pid)
    {
        try { System.Diagnostics.Process.GetProcessById(pid).Kill(); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    static IEnumerable<Entry> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } entry)
                yield return entry;
        }
    }

    static Entry? Read(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // Field 2, the command name, may hold spaces and parentheses: the fields after it start past the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return new Entry(pid, fields[0][0], Int(fields[1]), Int(fields[2]), Int(fields[3]));
    }

    static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);
}
