using System.Data;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>
/// Builds services' status (API.md, "Service status") from one read transaction: their runs and jobs
/// as committed, the last sample of their process groups, and the clock. Many services cost four queries.
/// </summary>
public sealed class ServiceStatusReader(ProcessSampler sampler, TimeProvider clock)
{
    public async Task<IReadOnlyDictionary<string, ServiceStatus>> ReadAsync(
        IDbTransaction tx, IReadOnlyList<ServiceRow> services, ILookup<string, ActionRow> actions)
    {
        var runs = await ServiceLoader.RunsOfAsync(tx, services);
        var jobs = (await JobRepository.ListByRunsAsync(tx, runs.Keys)).ToLookup(j => j.RunId);
        var since = await ServiceRepository.LastEventTimesAsync(tx, services.Select(s => s.Name).ToList());
        return services.ToDictionary(s => s.Name, s =>
        {
            var run = s.RunId is { } id ? runs.GetValueOrDefault(id) : null;
            return Build(s, run, run is null ? [] : jobs[run.Id].ToList(), since.TryGetValue(s.Name, out var at) ? at : null, actions[s.Name]);
        }, StringComparer.Ordinal);
    }

    ServiceStatus Build(ServiceRow service, RunRow? run, IReadOnlyList<JobRow> jobs, DateTimeOffset? since, IEnumerable<ActionRow> actions)
    {
        var (state, reason) = ServiceStates.Of(service, run, jobs);
        var runStopping = run is { CancelRequested: true } && !run.Status.IsFinished();
        var processes = jobs.Count > 0
            ? jobs.Where(j => j.IsProcess).Select(j => Process(j, runStopping)).ToList()
            : DefinedProcesses(service, actions);
        var first = processes.FirstOrDefault();
        // Passing only when every probed process passes; one that has not answered yet makes it neither.
        // A spec is read only to tell "no probe" from "no answer yet", for processes without a verdict.
        var health = processes.Any(p => p.Health == Health.Failing) ? Health.Failing
            : processes.Any(p => p.Health == Health.Passing) &&
              jobs.Where(j => j.IsProcess && j.Health is null).All(j => ApiJson.Deserialize<ActionSpec>(j.SpecJson).Probe is null) ? Health.Passing
            : Health.None;
        var measured = processes.Where(p => p.MemoryBytes is not null).ToList();
        return new ServiceStatus(
            state, reason, run?.Id, since, first?.Pid, processes.Sum(p => p.Restarts), first?.UptimeSecs,
            measured.Count > 0 ? measured.Sum(p => p.MemoryBytes) : null,
            measured.Count > 0 ? Math.Round(measured.Sum(p => p.CpuPercent ?? 0), 1) : null,
            first?.LastExitCode, health, processes);
    }

    ProcessStatus Process(JobRow job, bool runStopping)
    {
        var state = ServiceStates.Of(job, runStopping);
        var alive = job.Status == JobStatus.Running && job.Pid is not null;
        var usage = alive ? sampler.For(job.Pid!.Value) : null;
        long? uptime = alive && job.AttemptStartedAt is { } started ? (long)Math.Max(0, (clock.GetUtcNow() - started).TotalSeconds) : null;
        var health = job.Health switch { "failing" => Health.Failing, "passing" => Health.Passing, _ => Health.None };
        return new ProcessStatus(job.Name, state, alive ? job.Pid : null, job.Attempt - 1, uptime, usage?.MemoryBytes, usage?.CpuPercent,
            job.Status == JobStatus.Running ? job.LastExitCode : job.ExitCode ?? job.LastExitCode, health);
    }

    /// <summary>Before its first run, a service shows each process action of its definition as inactive.</summary>
    static List<ProcessStatus> DefinedProcesses(ServiceRow service, IEnumerable<ActionRow> actions) =>
        actions.Where(a => ApiJson.Deserialize<ActionSpec>(a.SpecJson).Kind == ActionKind.Process)
            .Select(a => new ProcessStatus(a.Name[(service.Name.Length + 1)..], ServiceState.Inactive, null, 0, null, null, null, null, Health.None))
            .ToList();

}
