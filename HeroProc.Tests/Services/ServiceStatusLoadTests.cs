using System.Collections.Concurrent;
using System.Net;
using HeroProc.Api.Http;
using HeroProc.Api.Services;
using HeroProc.Data;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Services;

/// <summary>Load tests run alone, after the others: they take the CPU, and their timings must not depend on what runs beside them.</summary>
[CollectionDefinition(nameof(ServiceLoadCollection), DisableParallelization = true)]
public sealed class ServiceLoadCollection;

/// <summary>
/// "The status of everything" under load: one GET /api/services answers every service, whole and
/// consistent, while many clients ask and another starts and stops services; usage comes from /proc.
/// </summary>
[Collection(nameof(ServiceLoadCollection))]
public class ServiceStatusLoadTests
{
    const int ServiceCount = 200;
    const int Callers = 50;
    const int CallsEach = 10;

    static string Name(int i) => $"svc{i:D3}";

    [Fact(Timeout = 180_000)]
    public async Task Two_hundred_services_read_by_fifty_concurrent_callers_are_whole_and_consistent_while_others_start_and_stop()
    {
        // Durability normal: the 200 defines need not each wait for the disk; what is read back is the same.
        await using var app = new HeroProcApp(settings: new Dictionary<string, string> { ["HeroProc:Durability"] = "normal" });
        var client = app.Client();
        var names = Enumerable.Range(0, ServiceCount).Select(Name).ToList();
        // Eight definers at a time: each define is its own transaction.
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (name, _) => await client.DefineAsync(name, [ServiceArrange.Process()]));
        var steady = names.Take(20).ToHashSet();
        var toggled = names.Skip(20).Take(10).ToHashSet();
        foreach (var name in steady)
            await client.RequestAsync(name, "start");
        var pids = new Dictionary<string, int>();
        foreach (var name in steady)
            pids[name] = (await client.WaitForRunningAsync(name)).Status.Pid!.Value;

        var problems = new ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();
        var requests = 0;
        var toggler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested || requests < 2 * toggled.Count)
            {
                foreach (var name in toggled)
                {
                    var verb = requests / toggled.Count % 2 == 0 ? "start" : "stop";
                    var response = await client.PostAsync($"/api/services/{name}/{verb}", null);
                    if (response.StatusCode != HttpStatusCode.Accepted)
                        problems.Enqueue($"{verb} {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    Interlocked.Increment(ref requests);
                }
            }
        });
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            for (var call = 0; call < CallsEach; call++)
            {
                var response = await client.GetAsync("/api/services");
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    problems.Enqueue($"GET /api/services: {(int)response.StatusCode} {body}");
                    continue;
                }
                var page = ApiJson.Deserialize<ListPage<ServiceSummary>>(body);
                Check(page, names, steady, pids, problems);
            }
        })).ToList();
        await Task.WhenAll(callers);
        var togglesDuringLoad = Volatile.Read(ref requests);
        done.Cancel();
        await toggler;

        Assert.True(problems.IsEmpty, $"{problems.Count} problems, first ones:\n" + string.Join("\n", problems.Take(20)));
        Assert.True(togglesDuringLoad >= toggled.Count, $"the toggled services were started (or stopped) while the callers read ({togglesDuringLoad} requests)");
        // Each running process is eventually measured, from /proc, over its process group.
        await UntilAllMeasuredAsync(client, steady);

        foreach (var name in steady.Concat(toggled))
            await client.RequestAsync(name, "stop");
        foreach (var name in steady.Concat(toggled))
            await client.WaitForServiceAsync(name, s => s.Status.State is ServiceState.Stopped or ServiceState.Inactive && s.Status.Pid is null, "is stopped");
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
        Assert.Empty(new DatabaseProbe(app.DatabasePath).Query<string>(ServiceArrange.ActiveServiceRunsSql));
    }

    /// <summary>One answer of the list: every service once, in name order, each status consistent with itself.</summary>
    static void Check(ListPage<ServiceSummary> page, List<string> names, HashSet<string> steady, Dictionary<string, int> pids,
        ConcurrentQueue<string> problems)
    {
        if (page.NextCursor is not null)
            problems.Enqueue($"nextCursor is {page.NextCursor}: 200 services fit the default limit of 500");
        if (!page.Items.Select(s => s.Name).SequenceEqual(names))
        {
            problems.Enqueue($"{page.Items.Count} items, not the 200 services in name order");
            return;
        }
        foreach (var service in page.Items)
        {
            var status = service.Status;
            void Problem(string what) => problems.Enqueue($"{service.Name} ({service.WantedStatus}, {status.State}, run {status.RunId}, pid {status.Pid}): {what}");

            if (status.Processes.Count != 1 || status.Processes[0].Action != "main")
            {
                Problem($"{status.Processes.Count} processes instead of 'main'");
                continue;
            }
            var process = status.Processes[0];
            if (status.State == ServiceState.Inactive && status.RunId is not null)
                Problem("inactive with a run");
            if (status.RunId is null && status.State is not (ServiceState.Inactive or ServiceState.Starting))
                Problem("no run, yet neither inactive nor waiting for its first run");
            if (status.State == ServiceState.Running && (status.Pid is null || process.Pid != status.Pid || process.State != ServiceState.Running))
                Problem($"running without the pid of its running process ({process.State}, pid {process.Pid})");
            if (status.Pid != process.Pid)
                Problem($"the service's pid is not its first process's ({process.Pid})");
            if (process.State is ServiceState.Stopped or ServiceState.Inactive or ServiceState.Completed or ServiceState.Failed && process.Pid is not null)
                Problem($"a {process.State} process with a pid");
            if (status.Restarts != 0)
                Problem($"{status.Restarts} restarts, none expected");
            if (status.MemoryBytes is not null && status.MemoryBytes != process.MemoryBytes)
                Problem($"memoryBytes {status.MemoryBytes} is not the sum over its process ({process.MemoryBytes})");

            if (steady.Contains(service.Name))
            {
                if (service.WantedStatus != WantedStatus.Start || status.State != ServiceState.Running || status.Pid != pids[service.Name])
                    Problem($"a steady service not running as pid {pids[service.Name]}");
                else if (!ServiceArrange.IsAlive(status.Pid.Value))
                    Problem("its pid is not alive in /proc");
            }
            else if (service.Name.CompareTo(Name(30)) >= 0)
            {
                if (service.WantedStatus != WantedStatus.Stop || status.State != ServiceState.Inactive || status.RunId is not null ||
                    status.Pid is not null || process.State != ServiceState.Inactive)
                    Problem($"a never-started service that is not inactive and wanted stopped (process {process.State})");
            }
        }
    }

    static Task UntilAllMeasuredAsync(HttpClient client, HashSet<string> steady) =>
        EngineArrange.UntilAsync(async () =>
        {
            var all = await client.ServiceListAsync();
            return all.Where(s => steady.Contains(s.Name)).All(s =>
                s.Status.MemoryBytes > 0 && s.Status.Processes[0].MemoryBytes > 0 && s.Status.CpuPercent is not null);
        }, "every steady service has its memory and CPU measured", TimeSpan.FromSeconds(15));

    [Fact(Timeout = 60_000)]
    public async Task A_process_that_burns_cpu_shows_its_cpu_percent_and_memory()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        await client.DefineAndStartAsync("burner", ServiceArrange.Process(script: "while :; do :; done"));

        // The sampler looks every 2 s; a percentage needs two looks.
        var service = await client.WaitForServiceAsync("burner", s => s.Status.CpuPercent > 0 && s.Status.MemoryBytes > 0,
            "shows CPU and memory use", TimeSpan.FromSeconds(15));

        var process = Assert.Single(service.Status.Processes);
        Assert.True(process.CpuPercent > 0, $"the process's cpuPercent is {process.CpuPercent}");
        Assert.True(process.MemoryBytes > 0, $"the process's memoryBytes is {process.MemoryBytes}");
        Assert.True(service.Status.CpuPercent > 10, $"a busy loop uses a good part of a core, not {service.Status.CpuPercent} %");
        Assert.True(service.Status.UptimeSecs >= 0);

        var stopped = await client.StopAndWaitAsync("burner");
        Assert.Null(stopped.Status.CpuPercent);
        Assert.Null(stopped.Status.MemoryBytes);
        await ServiceArrange.NoProcessLeftAsync(app.DataDir);
    }
}
