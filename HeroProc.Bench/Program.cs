using HeroProc.Bench;
using HeroProc.Bench.Scenarios;

// dotnet run -c Release --project HeroProc.Bench -- [scenario…] [--repeats N] [--quick] [--server-env KEY=VALUE]… [--write | --no-write]

Scenario[] all =
[
    new SubmitScenario(), new SpawnScenario(), new RestartScenario(), new ChainScenario(),
    new LogsScenario(), new StatusScenario(), new ScaleScenario(), new MemoryScenario(),
];

var names = new List<string>();
var repeats = 3;
var quick = false;
bool? write = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            repeats = n;
            i++;
            break;
        case "--server-env" when i + 1 < args.Length && args[i + 1].Split('=', 2) is [var key, var value]:
            BenchServer.ExtraSettings[key] = value;
            i++;
            break;
        case "--quick":
            quick = true;
            break;
        case "--write":
            write = true;
            break;
        case "--no-write":
            write = false;
            break;
        case "--help" or "-h":
            Console.WriteLine("usage: dotnet run -c Release --project HeroProc.Bench -- [scenario…] [--repeats N] [--quick] [--server-env KEY=VALUE]… [--write | --no-write]");
            Console.WriteLine("--server-env sets a configuration variable on every server started (e.g. HeroProc__Durability=normal), to see where time goes.");
            Console.WriteLine("scenarios: " + string.Join(", ", all.Select(s => s.Name)));
            Console.WriteLine("BENCHMARKS.md is rewritten after a full run (all scenarios, not --quick), or with --write.");
            return 0;
        default:
            if (args[i].StartsWith('-') || all.All(s => s.Name != args[i]))
            {
                Console.Error.WriteLine($"unknown argument '{args[i]}'; scenarios: {string.Join(", ", all.Select(s => s.Name))}");
                return 2;
            }
            names.Add(args[i]);
            break;
    }
}
var selected = names.Count == 0 ? all : all.Where(s => names.Contains(s.Name)).ToArray();

if (BenchServer.ServerDll.Contains("/bin/Debug/", StringComparison.Ordinal))
    Console.WriteLine("warning: this is a Debug build; figures are only meaningful with -c Release.");
Console.WriteLine($"HeroProc bench: {string.Join(", ", selected.Select(s => s.Name))}; {repeats} repeats{(quick ? ", quick sizes" : "")}; server {BenchServer.ServerDll}" +
                  string.Concat(BenchServer.ExtraSettings.Select(s => $"; {s.Key}={s.Value}")));

// Ctrl-C cancels the current scenario, which still cleans up after itself.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupted.Cancel(); };

var report = new Report();
var context = new BenchContext(report, repeats, quick);
var machine = MachineInfo.Describe();
if (BenchServer.ExtraSettings.Count > 0)
    machine = [.. machine, ("server settings given with --server-env", string.Join(", ", BenchServer.ExtraSettings.Select(s => $"{s.Key}={s.Value}")))];
var started = DateTimeOffset.UtcNow;
foreach (var scenario in selected)
{
    if (interrupted.IsCancellationRequested)
        break;
    Console.WriteLine($"\n== {scenario.Name} (deadline {scenario.Deadline.TotalMinutes:0} min)");
    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(interrupted.Token);
    deadline.CancelAfter(scenario.Deadline);
    var rowsBefore = report.Rows.Count;
    try
    {
        await scenario.RunAsync(context, deadline.Token);
    }
    catch (Exception e) when (deadline.IsCancellationRequested)
    {
        report.Add(new ResultRow(scenario.Name, interrupted.IsCancellationRequested ? "interrupted" : $"deadline of {scenario.Deadline.TotalMinutes:0} min passed ({e.GetType().Name})", "—", "—", "—", false));
    }
    catch (Exception e)
    {
        report.Add(new ResultRow(scenario.Name, $"error: {e.GetType().Name}: {e.Message.Split('\n')[0]}", "—", "—", "—", false));
        Console.Error.WriteLine(e);
    }
    if (report.Rows.Count == rowsBefore)
        report.Add(new ResultRow(scenario.Name, "no result", "—", "—", "—", false));
}

Console.WriteLine();
Console.WriteLine(report.PlainTable());
var full = selected.Length == all.Length && !quick && BenchServer.ExtraSettings.Count == 0 && !interrupted.IsCancellationRequested;
if (write ?? full)
{
    var path = Path.Combine(BenchServer.SolutionDir, "BENCHMARKS.md");
    // The load average at the end too: on a shared machine it says how much the figures may be off.
    machine = [.. machine, ("load average at the end", MachineInfo.LoadAverage())];
    BenchmarksFile.Write(path, report, machine, selected, context, started, DateTimeOffset.UtcNow);
    Console.WriteLine($"written: {path}");
}
else
{
    Console.WriteLine("BENCHMARKS.md not rewritten (a partial, quick or --server-env run); pass --write to rewrite it anyway.");
}
return report.Rows.Any(r => r.Pass == false) ? 1 : 0;
