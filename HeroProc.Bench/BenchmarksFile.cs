using System.Text;

namespace HeroProc.Bench;

/// <summary>
/// Writes BENCHMARKS.md: machine, table, the measured breakdowns and each scenario's method. Everything
/// below <see cref="KeptMarker"/> is written by people (analysis of the figures) and kept across runs.
/// </summary>
public static class BenchmarksFile
{
    public const string KeptMarker = "<!-- Everything below this line is kept when the bench rewrites this file. -->";

    public static void Write(string path, Report report, IReadOnlyList<(string Name, string Value)> machine,
        IReadOnlyList<Scenario> scenarios, BenchContext context, DateTimeOffset started, DateTimeOffset finished)
    {
        var kept = File.Exists(path) && File.ReadAllText(path) is var old && old.IndexOf(KeptMarker, StringComparison.Ordinal) is var at and >= 0
            ? old[(at + KeptMarker.Length)..].TrimStart('\n')
            : "";

        var text = new StringBuilder();
        text.AppendLine("# HeroProc benchmarks");
        text.AppendLine();
        text.AppendLine("Written by `HeroProc.Bench` (the part above the marker near the end is rewritten by every full run):");
        text.AppendLine();
        text.AppendLine("```sh");
        text.AppendLine("dotnet run -c Release --project HeroProc.Bench                  # every scenario, rewrites this file");
        text.AppendLine("dotnet run -c Release --project HeroProc.Bench -- spawn chain   # some scenarios, printed only (--write to rewrite)");
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("Options: `--repeats N` (default 3); `--quick` (a tenth of the sizes, to check the bench itself; figures not comparable); " +
                        "`--server-env KEY=VALUE` (a setting for every server started, e.g. `HeroProc__Durability=normal`, to see where time goes); " +
                        "`--write` / `--no-write`. The exit code is 1 when a target is missed.");
        text.AppendLine();
        text.AppendLine("Each scenario starts the real server (`HeroProc.Api`, Release) on a temporary data directory and a loopback port, " +
                        "measures the HeroProc side and its limit in the same run, stops the server with its jobs and deletes the directory. " +
                        $"Latency and memory figures are the median of {context.Repeats} repeats (each repeat shown in brackets).");
        text.AppendLine();
        text.AppendLine($"## Machine ({started:yyyy-MM-dd HH:mm} to {finished:HH:mm} UTC)");
        text.AppendLine();
        foreach (var (name, value) in machine)
            text.AppendLine($"- {name}: {value}");
        text.AppendLine();
        text.AppendLine("## Results");
        text.AppendLine();
        text.Append(report.MarkdownTable());
        text.AppendLine();
        if (report.Notes.Count > 0)
        {
            text.AppendLine("## Breakdowns measured in the same run");
            text.AppendLine();
            foreach (var (scenario, note) in report.Notes)
                text.AppendLine($"- **{scenario}**: {note}");
            text.AppendLine();
        }
        text.AppendLine("## Method");
        text.AppendLine();
        foreach (var scenario in scenarios)
            text.AppendLine($"- **{scenario.Name}**: {scenario.Method}");
        text.AppendLine();
        text.AppendLine(KeptMarker);
        text.AppendLine();
        text.Append(kept);
        File.WriteAllText(path, text.ToString());
    }
}
