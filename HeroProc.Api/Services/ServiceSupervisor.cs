using System.Data;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>
/// Carries out what services are wanted to be, in dependency order (API.md, "Start, stop and boot").
/// Each pass reads every supervised service as committed and takes the steps that are due:
/// - a process up for its <c>minUptimeMs</c> (and passing its probe) becomes <c>running</c>;
/// - a service whose requirement failed fails too, naming it, and its run is stopped;
/// - a service to stop (or restart) is stopped once no service requiring it still runs;
/// - a service to start gets a new run once its requirements are running or completed, and the
///   services it comes <c>after</c> have settled.
/// It sleeps until a commit wakes it or a process reaches its <c>minUptimeMs</c>; it never polls.
/// </summary>
public sealed class ServiceSupervisor(
    Db db, ServiceSignal signal, SchedulerSignal scheduler, JobControl control, ChangePublisher publisher,
    StartupRecovery recovery, SystemState system, TimeProvider clock, ILogger<ServiceSupervisor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        // Re-adopted processes first: a service still running must not be started a second time.
        await recovery.Done.WaitAsync(stopping);
        await StartWantedAtBootAsync(stopping);
        while (!stopping.IsCancellationRequested)
        {
            DateTimeOffset? until;
            try
            {
                until = system.Wiping ? null : await PassAsync(stopping);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError(e, "The service supervisor's pass failed; it tries again in a second");
                until = clock.GetUtcNow() + TimeSpan.FromSeconds(1);
            }
            try
            {
                await signal.WaitUntilAsync(until, clock, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Services wanted started that have no live run get one; the passes then start them in order.</summary>
    async Task StartWantedAtBootAsync(CancellationToken ct)
    {
        await db.InTransactionAsync(async tx =>
        {
            var now = clock.GetUtcNow();
            var services = await ServiceRepository.ListAllAsync(tx);
            var runs = await ServiceLoader.RunsOfAsync(tx, services);
            var names = new List<string>();
            foreach (var service in services.Where(s => s.WantedStatus == WantedStatus.Start && !s.NeedsRun))
            {
                if (service.RunId is { } id && runs.TryGetValue(id, out var run) && !run.Status.IsFinished())
                    continue;
                await ServiceRepository.SetWantedAsync(tx, service.Name, WantedStatus.Start, needsRun: true, now);
                await ServiceRepository.AddEventAsync(tx, service.Name, "starting", null, now, "started at server boot");
                names.Add(service.Name);
            }
            await publisher.PublishAsync(tx, [], [], names);
        }, ct);
    }

    /// <summary>One pass; returns when the next process reaches its minUptimeMs, if one is on its way.</summary>
    async Task<DateTimeOffset?> PassAsync(CancellationToken ct)
    {
        var nextReady = await MarkReadyAsync(ct);
        var snapshot = await db.ReadAsync(ServiceSnapshot.LoadAsync, ct);
        foreach (var step in snapshot.Plan())
            await TakeAsync(step, ct);
        return nextReady;
    }

    /// <summary>
    /// Takes one planned step, in a transaction that first checks the step still holds: a start, stop or
    /// restart request committed since the snapshot was read wins over the plan made from it.
    /// </summary>
    async Task TakeAsync(ServiceStep step, CancellationToken ct)
    {
        switch (step)
        {
            case ServiceStep.CreateRun create:
                await CreateRunAsync(create.Service, ct);
                break;
            case ServiceStep.Fail fail:
                async Task<bool> FailIfStillStarting(IDbTransaction tx)
                {
                    // A start or restart of either service since the snapshot (a new run wished for or made) wins.
                    if (await ServiceRepository.GetAsync(tx, fail.Service) is not { WantedStatus: WantedStatus.Start, Reason: null } row ||
                        row.NeedsRun != fail.NeedsRun || fail.RunToStop is not null && row.RunId != fail.RunToStop)
                        return false;
                    if (await ServiceRepository.GetAsync(tx, fail.Requirement) is { } requirement &&
                        (requirement.NeedsRun || requirement.RunId != fail.RequirementRunId))
                        return false;
                    await ServiceRepository.FailAsync(tx, fail.Service, fail.Reason);
                    await ServiceRepository.AddEventAsync(tx, fail.Service, "failed", null, clock.GetUtcNow(), fail.Reason);
                    return true;
                }
                // Stopping the run publishes its service; otherwise the failure is the only change.
                if (fail.RunToStop is { } runId)
                    await control.StopServiceRunAsync(runId, FailIfStillStarting, ct);
                else
                    await db.InTransactionAsync(async tx =>
                    {
                        if (await FailIfStillStarting(tx))
                            await publisher.PublishAsync(tx, [], [], [fail.Service]);
                    }, ct);
                break;
            case ServiceStep.StopRun stop:
                await control.StopServiceRunAsync(stop.RunId, async tx =>
                {
                    if (await ServiceRepository.GetAsync(tx, stop.Service) is not { } row || row.RunId != stop.RunId ||
                        row.WantedStatus == WantedStatus.Start && !row.NeedsRun)
                        return false;
                    await ServiceRepository.AddEventAsync(tx, stop.Service, "stopping", null, clock.GetUtcNow(), stop.Why);
                    return true;
                }, ct);
                break;
            case ServiceStep.Want want:
                await db.InTransactionAsync(async tx =>
                {
                    var cause = await ServiceRepository.GetAsync(tx, want.Cause);
                    var target = await ServiceRepository.GetAsync(tx, want.Service);
                    if (cause is null || cause.WantedStatus != want.Wanted || want.NeedsRun && !cause.NeedsRun ||
                        target is not { WantedStatus: WantedStatus.Start, NeedsRun: false })
                        return;
                    await ServiceRepository.SetWantedAsync(tx, want.Service, want.Wanted, want.NeedsRun, clock.GetUtcNow());
                    await publisher.PublishAsync(tx, [], [], [want.Service]);
                }, ct);
                break;
        }
        // What a step changed may let the next one go: look again.
        signal.Wake();
    }

    /// <summary>The service's actions become the jobs of a new run, if the service still wants one.</summary>
    async Task CreateRunAsync(string name, CancellationToken ct)
    {
        var runId = await db.InTransactionAsync<long?>(async tx =>
        {
            var service = await ServiceRepository.GetAsync(tx, name);
            if (service is not { WantedStatus: WantedStatus.Start, NeedsRun: true })
                return null;
            var now = clock.GetUtcNow();
            var jobs = (await ActionRepository.ListByServiceAsync(tx, name)).Select(action =>
            {
                var spec = ApiJson.Deserialize<ActionSpec>(action.SpecJson);
                return new JobRow
                {
                    Name = action.Name[(name.Length + 1)..],
                    Action = action.Name,
                    Status = JobStatus.Pending,
                    DependsOnJson = ApiJson.Serialize(spec.DependsOn ?? []),
                    SpecJson = action.SpecJson,
                    Kind = spec.Kind!.Value.ToText(),
                };
            }).ToList();
            var id = await RunRepository.InsertAsync(tx, new RunRow { Name = name, Service = name, Status = RunStatus.Pending }, jobs, now);
            await ServiceRepository.AttachRunAsync(tx, name, id);
            await ServiceRepository.AddEventAsync(tx, name, "starting", null, now, $"run {id}");
            await publisher.PublishAsync(tx, [], [id]);
            return id;
        }, ct);
        if (runId is not null)
            scheduler.Wake();
    }

    /// <summary>
    /// Processes up for their minUptimeMs, whose probe (if any) passes, become <c>running</c>; their
    /// dependents in the run may start. Returns when the next one is due.
    /// </summary>
    async Task<DateTimeOffset?> MarkReadyAsync(CancellationToken ct)
    {
        var waiting = await db.ReadAsync(ProcessStateRepository.ListWaitingForReadyAsync, ct);
        if (waiting.Count == 0)
            return null;
        var now = clock.GetUtcNow();
        DateTimeOffset? next = null;
        var due = new List<(JobRow Job, string Detail)>();
        foreach (var job in waiting)
        {
            var spec = ApiJson.Deserialize<ActionSpec>(job.SpecJson);
            var upAt = job.AttemptStartedAt!.Value + TimeSpan.FromMilliseconds(spec.RestartPolicy?.MinUptimeMs ?? 0);
            if (upAt > now)
                next = next is null || upAt < next ? upAt : next;
            else if (spec.Probe is null || job.Health == "passing")
                due.Add((job, spec.Probe is null ? $"pid {job.Pid}, up {spec.RestartPolicy?.MinUptimeMs ?? 0} ms" : $"pid {job.Pid}, probe passing"));
        }
        if (due.Count == 0)
            return next;
        var marked = await db.InTransactionAsync(async tx =>
        {
            var ids = new List<(long Job, long Run)>();
            foreach (var (job, detail) in due)
            {
                if (!await ProcessStateRepository.MarkReadyAsync(tx, job.Id, job.Attempt, now))
                    continue;
                var service = (await RunRepository.GetAsync(tx, job.RunId))?.Service;
                if (service is not null)
                    await ServiceRepository.AddEventAsync(tx, service, "running", job.Name, now, detail);
                ids.Add((job.Id, job.RunId));
            }
            await publisher.PublishAsync(tx, [.. ids.Select(m => m.Job)], [.. ids.Select(m => m.Run).Distinct()]);
            return ids;
        }, ct);
        if (marked.Count > 0)
            scheduler.Wake();
        return next;
    }
}
