using System.Collections.Concurrent;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>A running attempt's processes, and the one way to stop them.</summary>
/// <param name="exited">Completes when the shim has exited (and with it the job's processes).</param>
public sealed class AttemptHandle(long jobId, int attempt, ProcessIdentity shim, ProcessIdentity job, Task exited, int stopTimeoutSecs, ILogger? logger = null)
{
    /// <summary>Beyond the stop timeout, how long the shim gets before the server kills the group itself.</summary>
    static readonly TimeSpan ShimGrace = TimeSpan.FromSeconds(5);

    readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _stopRequested;

    public long JobId => jobId;
    public int Attempt => attempt;
    public ProcessIdentity Job => job;

    /// <summary>True until the shim has exited; the attempt's end may still be being stored.</summary>
    public bool ProcessRunning => !exited.IsCompleted;

    /// <summary>Completes once the attempt's end is committed.</summary>
    public Task Ended => _ended.Task;

    public void MarkEnded() => _ended.TrySetResult();

    /// <summary>
    /// The shim ended without a status (killed, or crashed): its job may run on, re-parented. Kill the
    /// job's group, verified by the job's start time, and wait (briefly) until it is gone, so a retry
    /// can never run beside it.
    /// </summary>
    public async Task KillOrphanedJobAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Native.IsAlive(job.Pid, job.StartTime) && DateTime.UtcNow < deadline)
        {
            Native.Signal(-job.Pid, Native.SigKill);
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Asks the shim to stop the job: it sends the job's stop signal to the group, then SIGKILL after
    /// stopTimeoutSecs. Should the shim itself be stuck, the server kills the group and the shim.
    /// The shim is signalled only while its pid still has the recorded start time.
    /// </summary>
    public void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 1)
            return;
        var alive = Native.IsAlive(shim.Pid, shim.StartTime);
        var signalled = alive && Native.Signal(shim.Pid, Native.SigTerm);
        logger?.LogInformation("Stopping job {JobId}: shim {Pid} alive {Alive}, signalled {Signalled}", jobId, shim.Pid, alive, signalled);
        _ = Task.Delay(TimeSpan.FromSeconds(stopTimeoutSecs) + ShimGrace).ContinueWith(_ =>
        {
            if (Ended.IsCompleted)
                return;
            if (Native.IsAlive(job.Pid, job.StartTime))
                Native.Signal(-job.Pid, Native.SigKill);
            if (Native.IsAlive(shim.Pid, shim.StartTime))
                Native.Signal(shim.Pid, Native.SigKill);
        }, TaskScheduler.Default);
    }
}

/// <summary>The attempts this server is watching, by job id.</summary>
public sealed class ActiveAttempts
{
    readonly ConcurrentDictionary<long, AttemptHandle> _attempts = new();

    public void Add(AttemptHandle handle) => _attempts[handle.JobId] = handle;

    public void Remove(AttemptHandle handle) => _attempts.TryRemove(new KeyValuePair<long, AttemptHandle>(handle.JobId, handle));

    public AttemptHandle? Find(long jobId) => _attempts.GetValueOrDefault(jobId);

    public IReadOnlyList<AttemptHandle> All => _attempts.Values.ToList();
}
