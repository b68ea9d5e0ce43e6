using System.Runtime.InteropServices;
using System.Text;

namespace HeroProc.Bench;

/// <summary>One line of the results table. <see cref="Pass"/> is null when nothing is judged (no target, or the scenario did not finish).</summary>
public sealed record ResultRow(string Scenario, string HeroProc, string Limit, string Ratio, string Target, bool? Pass)
{
    public string Verdict => Pass switch { true => "pass", false => "FAIL", null => "—" };
}

/// <summary>What the scenarios measured: table rows, and notes that explain them (breakdowns, where the time goes).</summary>
public sealed class Report
{
    readonly List<ResultRow> _rows = [];
    readonly List<(string Scenario, string Text)> _notes = [];

    public IReadOnlyList<ResultRow> Rows => _rows;
    public IReadOnlyList<(string Scenario, string Text)> Notes => _notes;

    public void Add(ResultRow row)
    {
        lock (_rows) _rows.Add(row);
        Console.WriteLine($"  {row.Scenario}: {row.HeroProc} | limit {row.Limit} | ratio {row.Ratio} | target {row.Target} | {row.Verdict}");
    }

    public void Note(string scenario, string text)
    {
        lock (_notes) _notes.Add((scenario, text));
        Console.WriteLine($"  note ({scenario}): {text}");
    }

    static readonly string[] Header = ["scenario", "HeroProc", "limit", "ratio", "target", "pass/fail"];

    static string[] Cells(ResultRow r) => [r.Scenario, r.HeroProc, r.Limit, r.Ratio, r.Target, r.Verdict];

    /// <summary>The table as aligned plain text, for the console.</summary>
    public string PlainTable()
    {
        var lines = _rows.Select(Cells).Prepend(Header).ToList();
        var widths = Enumerable.Range(0, Header.Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var (line, index) in lines.Select((l, i) => (l, i)))
        {
            text.AppendLine(string.Join(" | ", line.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
            if (index == 0)
                text.AppendLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        }
        return text.ToString();
    }

    public string MarkdownTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Header) + " |");
        text.AppendLine("|" + string.Concat(Header.Select(_ => "---|")));
        foreach (var row in _rows)
            text.AppendLine("| " + string.Join(" | ", Cells(row).Select(c => c.Replace("|", "\\|"))) + " |");
        return text.ToString();
    }
}

/// <summary>The machine the figures were taken on: cores, memory, CPU, OS, .NET.</summary>
public static class MachineInfo
{
    public static IReadOnlyList<(string Name, string Value)> Describe()
    {
        var memTotal = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memory = memTotal is null ? "unknown" : Stats.MB(long.Parse(memTotal.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024);
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return
        [
            ("cores", Environment.ProcessorCount.ToString()),
            ("memory", memory),
            ("CPU", cpu),
            ("OS", $"{os ?? RuntimeInformation.OSDescription} ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture})"),
            (".NET", RuntimeInformation.FrameworkDescription),
            ("load average at the start (1, 5, 15 min)", LoadAverage()),
        ];
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
