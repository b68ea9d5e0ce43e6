using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>
/// The state of a service's actions and of the service itself (API.md, "Service status"), derived from
/// the jobs of its run: what the supervisor committed is the truth, never a cached copy of it.
/// </summary>
public static class ServiceStates
{
    /// <summary>The service's state is the first of these that any of its actions is in.</summary>
    static readonly ServiceState[] Precedence =
    [
        ServiceState.Stopping, ServiceState.Failed, ServiceState.Backoff, ServiceState.Degraded, ServiceState.Starting,
        ServiceState.Running, ServiceState.Completed, ServiceState.Stopped, ServiceState.Inactive,
    ];

    /// <summary>One action's state: a oneshot is <c>starting</c> until it succeeds; a process until it is up.</summary>
    public static ServiceState Of(JobRow job, bool runStopping) => job.Status switch
    {
        JobStatus.Pending or JobStatus.Starting => runStopping ? ServiceState.Stopping : ServiceState.Starting,
        JobStatus.Running when runStopping || job.StopRequested is not null => ServiceState.Stopping,
        // Alive with its probe failing: degraded, whether or not it was ever up (dependents wait for ready_at).
        JobStatus.Running when job.IsProcess && job.Health == "failing" => ServiceState.Degraded,
        JobStatus.Running when !job.IsProcess || job.ReadyAt is null => ServiceState.Starting,
        JobStatus.Running => ServiceState.Running,
        JobStatus.Retrying => job.IsProcess ? ServiceState.Backoff : ServiceState.Starting,
        JobStatus.Succeeded => ServiceState.Completed,
        JobStatus.Cancelled => ServiceState.Stopped,
        _ => ServiceState.Failed,
    };

    /// <summary>The service's state and, when it failed, why.</summary>
    public static (ServiceState State, string? Reason) Of(ServiceRow service, RunRow? run, IReadOnlyList<JobRow> jobs)
    {
        if (service.Reason is not null)
            return (ServiceState.Failed, service.Reason);
        var runActive = run is not null && !run.Status.IsFinished();
        // Waiting for its requirements, or for its previous run to stop before a restart; or, wanted
        // stopped, for its dependents to stop first.
        if (service.NeedsRun && service.WantedStatus == WantedStatus.Start)
            return (runActive ? ServiceState.Stopping : ServiceState.Starting, null);
        if (service.WantedStatus == WantedStatus.Stop && runActive)
            return (ServiceState.Stopping, null);
        if (run is null || jobs.Count == 0)
            return (ServiceState.Inactive, null);
        var runStopping = run.CancelRequested && runActive;
        var hasProcesses = jobs.Any(j => j.IsProcess);
        // Only a service without processes is completed by its oneshots: with processes, theirs is the state.
        var states = jobs.Select(j => (Job: j, State: Of(j, runStopping)))
            .Where(j => !(hasProcesses && !j.Job.IsProcess && j.State == ServiceState.Completed)).ToList();
        var state = Precedence.First(s => states.Any(j => j.State == s));
        var reason = state == ServiceState.Failed
            ? states.Where(j => j.State == ServiceState.Failed).Select(j => $"{j.Job.Name}: {j.Job.Error ?? j.Job.Status.ToText()}").First()
            : null;
        return (state, reason);
    }

    /// <summary>Up and, where it has a probe, healthy: what a dependent waits for (or a service that completed).</summary>
    public static bool SatisfiesDependents(ServiceState state) => state is ServiceState.Running or ServiceState.Completed;
}
