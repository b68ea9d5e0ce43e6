using System.Runtime.InteropServices;

namespace HeroProc.Api.Supervision;

/// <summary>
/// The few POSIX calls .NET does not offer: signals to a pid of our choosing (Process.Kill only sends
/// SIGKILL), a plain rename, emptying a file by path, and process identity from /proc.
/// </summary>
public static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    public static bool Signal(int pid, int signal) => pid > 0 && kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int rename(string from, string to);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    const int OWriteOnly = 0x1, OTruncate = 0x200, OCloseOnExec = 0x80000;  // the same on x86-64 and arm64

    /// <summary>rename(2), which replaces <paramref name="to"/> if it exists: one system call, without File.Move's checks.</summary>
    public static bool Rename(string from, string to) => rename(from, to) == 0;

    /// <summary>
    /// Empties the file at <paramref name="path"/>: opened with O_TRUNC, then closed at once. Not truncate(2): on
    /// ext4, a file truncated to zero writes its data out at its next close (auto_da_alloc). Closed here, empty,
    /// that costs nothing; left to the shim that next writes the file, it was a third of the shim's CPU.
    /// </summary>
    public static bool Truncate(string path)
    {
        var fd = open(path, OWriteOnly | OTruncate | OCloseOnExec);
        return fd >= 0 && close(fd) == 0;
    }

    public const int SigTerm = 15;
    public const int SigKill = 9;

    static readonly Dictionary<string, int> SignalNumbers = new(StringComparer.Ordinal)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["BUS"] = 7, ["FPE"] = 8,
        ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15,
        ["STKFLT"] = 16, ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22,
        ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29,
        ["PWR"] = 30, ["SYS"] = 31,
    };

    static readonly Dictionary<int, string> SignalNames = SignalNumbers.ToDictionary(p => p.Value, p => p.Key);

    public static int SignalNumber(string name) => SignalNumbers[name];

    /// <summary>TERM for 15; a real-time signal as SIGRTMIN+n's number.</summary>
    public static string SignalName(int number) => SignalNames.TryGetValue(number, out var name) ? name : number.ToString();

    /// <summary>This boot's id: a pid and start time are only an identity within one boot.</summary>
    public static string BootId { get; } = File.Exists("/proc/sys/kernel/random/boot_id")
        ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim()
        : "unknown";

    /// <summary>
    /// The process's start time (field 22 of /proc/PID/stat) and whether it is a zombie; null when gone.
    /// </summary>
    public static (long StartTime, bool Zombie)? ReadStat(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture), fields[0] == "Z");
    }

    /// <summary>True when the process with this identity still runs (a zombie does not).</summary>
    public static bool IsAlive(int pid, long startTime) => ReadStat(pid) is { Zombie: false } stat && stat.StartTime == startTime;
}
