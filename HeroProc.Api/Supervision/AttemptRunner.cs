using System.Globalization;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Services;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Runs one claimed attempt end to end: spawn under the shim, record it running, follow its output,
/// enforce its timeout, and commit its end together with the last of its output.
/// </summary>
public sealed class AttemptRunner(
    Db db, JobPaths paths, ShimLauncher launcher, ActiveAttempts active, SchedulerSignal scheduler,
    ChangePublisher publisher, LogSignals logSignals, LogRetention retention, Secrets.SecretVault vault,
    SystemEndpoints.ServerMetrics metrics, ServiceSignal services, ProbeRunner probes, TimeProvider clock,
    ILogger<AttemptRunner> logger)
{
    static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(5);
    static readonly TimeSpan SlowPoll = TimeSpan.FromMilliseconds(200);

    public async Task RunAsync(JobStateRepository.ClaimedJob job)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = job.RunId, ["JobId"] = job.Id, ["Attempt"] = job.Attempt });
        try
        {
            await RunAttemptAsync(job);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Attempt {Attempt} of job {JobId} failed inside the server", job.Attempt, job.Id);
            try
            {
                await EndAsync(job, null, new ShimStatus(null, null, null, e.Message), null);
            }
            finally
            {
                scheduler.Wake();  // whatever was stored: the scheduler looks again
            }
        }
    }

    async Task RunAttemptAsync(JobStateRepository.ClaimedJob job)
    {
        var spec = ApiJson.Deserialize<ActionSpec>(job.SpecJson);
        // Files of this attempt left by a server that stopped before spawning it are stale.
        if (File.Exists(paths.StateFile(job.Id, job.Attempt)))
            paths.DeleteAttemptFiles(job.Id, job.Attempt);
        Directory.CreateDirectory(paths.AttemptsDir);

        // Secrets are read at the start, not at submit: a secret deleted meanwhile fails the job, saying which.
        var (secrets, missing) = spec.Secrets is { Count: > 0 } names
            ? await db.ReadAsync(tx => vault.RevealAsync(tx, names))
            : (new Dictionary<string, string>(), []);
        if (missing.Count > 0)
        {
            await EndAsync(job, null, new ShimStatus(null, null, $"secret '{missing[0]}' no longer exists"), null);
            return;
        }
        // The values this attempt gets, kept (encrypted) with it before the job can print them: a server that
        // adopts it after a restart masks them even if the secrets changed meanwhile.
        vault.KeepAttemptSecrets(paths.SecretsFile(job.Id, job.Attempt), secrets.Values);
        if (spec.Cwd is null)
            paths.PrepareWorkDir(job.Id);
        paths.PlaceStateFile(job.Id, job.Attempt);
        var launch = await launcher.LaunchAsync(paths.AttemptFiles(job.Id, job.Attempt), paths.WorkDir(job.Id), spec, Environment(job, spec, secrets), CancellationToken.None);
        if (launch is LaunchResult.Failed failed)
        {
            paths.DeleteAttemptFiles(job.Id, job.Attempt);
            await EndAsync(job, null, new ShimStatus(null, null, failed.Error), null);
            return;
        }
        var started = (LaunchResult.Started)launch;
        var handle = new AttemptHandle(job.Id, job.Attempt, started.ShimIdentity, started.Job, started.Exited, spec.StopTimeoutSecs ?? 10, logger);
        // Registered before 'running' commits, so a cancel committed in between finds the handle to signal.
        active.Add(handle);
        RecordRunning(job, spec, started, handle);
        var masks = Secrets.SecretVault.MaskPatterns(secrets.Values);
        await WatchAsync(job, spec, handle, started.Exited, clock.GetUtcNow(), stopRequested: false, masks,
            LogIngestor.ForClaimed(paths, job, masks, vault.CarryProtector));
    }

    /// <summary>
    /// Commits 'running' with the pid, without waiting: the job is followed meanwhile. What the attempt commits
    /// next (output, its end) queues behind it on the writer, so a short job's end often shares its transaction.
    /// </summary>
    void RecordRunning(JobStateRepository.ClaimedJob job, ActionSpec spec, LaunchResult.Started started, AttemptHandle handle)
    {
        var recorded = db.InTransactionAsync(async tx =>
        {
            var row = await JobStateRepository.MarkRunningAsync(tx, job.Id, job.Attempt, started.ShimIdentity, started.Job, Native.BootId, clock.GetUtcNow());
            if (row is null)
                return false;  // moved on meanwhile (its end, recorded by this attempt, is queued behind)
            if (spec.Kind == ActionKind.Process)
                Db.OnCommit(tx, services.Wake);
            await publisher.PublishRowsAsync(tx, [row], await ChangePublisher.ReadRunsAsync(tx, [job.RunId]));
            return row.StopRequested is not null;
        }, durable: false);  // a pid means nothing after a power cut: the restarted machine records the job lost
        _ = recorded.ContinueWith(running =>
        {
            // A stop asked while the job was starting, before its handle was registered, shows here. A job that
            // could not be recorded running is stopped rather than left to run unseen; its end is still recorded.
            if (running.IsFaulted)
                logger.LogError(running.Exception, "Could not record job {JobId} running; stopping it", job.Id);
            if (!running.IsCompletedSuccessfully || running.Result)
                handle.RequestStop();
        }, TaskScheduler.Default);
    }

    /// <summary>
    /// Takes over an attempt a previous server process started (found alive at recovery), or one that
    /// ended while no server ran (<paramref name="exited"/> already complete): its output is ingested
    /// from where the previous process stopped, and its end recorded.
    /// </summary>
    public async Task AdoptAsync(JobRow row, ProcessIdentity shim, ProcessIdentity process, Task exited, bool wasStarting)
    {
        var job = new JobStateRepository.ClaimedJob { Id = row.Id, RunId = row.RunId, Name = row.Name, Attempt = row.Attempt, SpecJson = row.SpecJson, RunEnvJson = "{}" };
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = job.RunId, ["JobId"] = job.Id, ["Attempt"] = job.Attempt });
        try
        {
            var spec = ApiJson.Deserialize<ActionSpec>(job.SpecJson);
            var handle = new AttemptHandle(job.Id, job.Attempt, shim, process, exited, spec.StopTimeoutSecs ?? 10, logger);
            active.Add(handle);
            if (wasStarting)
            {
                await db.InTransactionAsync(async tx =>
                {
                    await JobStateRepository.MarkRunningAsync(tx, job.Id, job.Attempt, shim, process, Native.BootId, clock.GetUtcNow());
                    await publisher.PublishAsync(tx, [job.Id], [job.RunId]);
                });
                services.Wake();
            }
            var kept = vault.AttemptSecrets(paths.SecretsFile(job.Id, job.Attempt));
            var (current, _) = await db.ReadAsync(tx => vault.RevealAsync(tx, spec.Secrets ?? []));
            await WatchAsync(job, spec, handle, exited, row.AttemptStartedAt ?? clock.GetUtcNow(), row.StopRequested is not null,
                Secrets.SecretVault.MaskPatterns([.. kept, .. current.Values]));
        }
        catch (Exception e)
        {
            logger.LogError(e, "Adopting attempt {Attempt} of job {JobId} failed", job.Attempt, job.Id);
            await EndAsync(job, null, new ShimStatus(null, null, null, e.Message), null);
        }
        finally
        {
            scheduler.Wake();
        }
    }

    /// <summary>Records an attempt whose processes vanished without an exit status; its retry policy applies.</summary>
    public async Task RecordLostAsync(JobRow row, string reason)
    {
        await EndAsync(new JobStateRepository.ClaimedJob { Id = row.Id, RunId = row.RunId, Name = row.Name, Attempt = row.Attempt, SpecJson = row.SpecJson, RunEnvJson = "{}" },
            null, new ShimStatus(null, null, null, null, reason), null);
        paths.DeleteAttemptFiles(row.Id, row.Attempt, row.SpoolSegment);
    }

    /// <summary>Follows a running attempt to its end: stop request, timeout, output, and the final commit.</summary>
    /// <param name="ingestor">The attempt's log ingestor when the caller has what it needs; opened here otherwise.</param>
    async Task WatchAsync(JobStateRepository.ClaimedJob job, ActionSpec spec, AttemptHandle handle, Task exited,
        DateTimeOffset attemptStartedAt, bool stopRequested, IReadOnlyList<byte[]> masks, LogIngestor? ingestor = null)
    {
        try
        {
            if (stopRequested)
                handle.RequestStop();
            using var timeout = StartTimeout(spec, handle, attemptStartedAt, exited);
            using var probing = spec is { Kind: ActionKind.Process, Probe: not null } ? probes.Start(job, spec, handle) : null;
            // A process that has exited is not probed while its last output is stored: a failure now means nothing.
            _ = exited.ContinueWith(_ => probing?.Dispose(), TaskScheduler.Default);
            try
            {
                ingestor ??= await LogIngestor.OpenAsync(db, paths, job.Id, job.Attempt, masks, vault.CarryProtector, CancellationToken.None);
                await FollowOutputAsync(ingestor, exited);
                var status = paths.ReadState(job.Id, job.Attempt).Status;
                if (status is null)
                    await handle.KillOrphanedJobAsync();
                // Only once the shim has killed all the job left behind (it wrote a status), and not for a service's
                // process, whose command probes run there too. Before the end commits: a retry claimed after it must
                // not find its directory taken away.
                if (spec is { Cwd: null, Kind: not ActionKind.Process } && status is not null)
                    paths.ReclaimWorkDirIfEmpty(job.Id);
                await EndAsync(job, ingestor, status, spec);
            }
            catch when (!exited.IsCompleted)
            {
                // The server cannot follow this attempt any more: stop it rather than leave it running untracked.
                handle.RequestStop();
                await exited;
                throw;
            }
        }
        finally
        {
            handle.MarkEnded();
            active.Remove(handle);
            // The spool may hold secret output: it goes whatever happened.
            paths.DeleteAttemptFiles(job.Id, job.Attempt, ingestor?.SpoolSegment ?? 0, shimEnded: exited.IsCompleted);
        }
    }

    /// <summary>The attempt's timeout, counted from its start: across a restart, only what is left of it.</summary>
    ITimer? StartTimeout(ActionSpec spec, AttemptHandle handle, DateTimeOffset attemptStartedAt, Task exited)
    {
        if (spec.TimeoutSecs is not (> 0 and var secs))
            return null;
        var left = attemptStartedAt + TimeSpan.FromSeconds(secs) - clock.GetUtcNow();
        // A job that has exited is not timed out, even while its last output is still being stored.
        return clock.CreateTimer(_ => { if (!exited.IsCompleted) _ = TimeOutAsync(handle); }, null,
            left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Ingests output while the shim runs: quickly while it prints, backing off while it is quiet.</summary>
    async Task FollowOutputAsync(LogIngestor ingestor, Task exited)
    {
        var delay = FastPoll;
        while (!exited.IsCompleted)
        {
            var pass = await IngestAsync(ingestor);
            if (pass.MoreWaiting)
                continue;
            delay = pass.HasProgress ? FastPoll : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, SlowPoll.Ticks));
            // Its timer goes as soon as the shim exits (a Task.Delay beside it stayed, and woke the timer thread later).
            await exited.WaitAsync(delay).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        // The shim has exited: everything it spooled is there. Read it all (the spool may hold up to
        // 64 MiB); the last pass, which also flushes unterminated lines, commits with the job's end.
        while ((await IngestAsync(ingestor)).MoreWaiting)
        {
        }
    }

    /// <summary>
    /// One pass over the spool, committed when it stored anything. When storage fails (a full disk), the
    /// job carries on (the shim's bounded spool holds its output) and the pass is tried again until space returns.
    /// </summary>
    async Task<IngestPass> IngestAsync(LogIngestor ingestor)
    {
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                return await IngestOnceAsync(ingestor);
            }
            catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 or 10 })
            {
                logger.LogWarning(e, "Storing output of job {JobId} failed; retrying in {Delay}", ingestor.JobId, delay);
                await Task.Delay(delay);
            }
        }
    }

    async Task<IngestPass> IngestOnceAsync(LogIngestor ingestor)
    {
        var pass = ingestor.Read(final: false);
        if (pass.HasProgress)
        {
            // Durable, as the log file's bytes are (synced by the pass): a job lost to a power cut keeps the output it had stored.
            var dropped = await db.InTransactionAsync(async tx =>
            {
                await LogRepository.CommitAsync(tx, ingestor.JobId, pass.Chunks, ingestor.ForStorage(pass.State));
                CountIngested(tx, pass);
                return await retention.TrimJobAsync(tx, ingestor.JobId);
            });
            ingestor.Complete(pass);
            retention.Free(dropped);
            logSignals.Notify(ingestor.JobId);
        }
        return pass;
    }

    /// <summary>Counted as the output becomes visible, not once its commit is also on disk.</summary>
    void CountIngested(System.Data.IDbTransaction tx, IngestPass pass)
    {
        var bytes = pass.Chunks.Sum(c => (double)c.ByteLength);
        Db.OnCommit(tx, () => metrics.LogBytesIngested.Inc(bytes));
    }

    async Task TimeOutAsync(AttemptHandle handle)
    {
        try
        {
            logger.LogInformation("Job {JobId} reached its timeout", handle.JobId);
            var stopping = await db.InTransactionAsync(tx => JobStateRepository.RequestStopAsync(tx, handle.JobId, "timeout"));
            logger.LogInformation("Job {JobId} timed out; stop requested: {Stopping}", handle.JobId, stopping);
            if (stopping)
                handle.RequestStop();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not time out job {JobId}", handle.JobId);
        }
    }

    /// <summary>Commits the attempt's end with the rest of its output, the skips it causes and the run's new status.</summary>
    async Task EndAsync(JobStateRepository.ClaimedJob job, LogIngestor? ingestor, ShimStatus? status, ActionSpec? spec)
    {
        spec ??= ApiJson.Deserialize<ActionSpec>(job.SpecJson);
        var pass = ingestor?.Read(final: true);
        if (pass is { MoreWaiting: true })
            throw new InvalidOperationException("the spool was not drained before the attempt's end");
        var (skipped, dropped, service) = await db.InTransactionAsync(async tx =>
        {
            var now = clock.GetUtcNow();
            var trimmed = new List<LogChunkRow>();
            if (pass is not null && ingestor!.Stores(pass))
            {
                await LogRepository.CommitAsync(tx, job.Id, pass.Chunks, ingestor.ForStorage(pass.State));
                CountIngested(tx, pass);
                trimmed.AddRange(await retention.TrimJobAsync(tx, job.Id));
            }
            var row = await JobRepository.GetAsync(tx, job.Id);
            var run = await RunRepository.GetAsync(tx, job.RunId);
            var end = row is { IsProcess: true } && run?.Service is not null
                ? await DecideRestartAsync(tx, row, run, status, spec, now)
                : AttemptOutcome.Decide(status, row?.StopRequested, run?.CancelRequested == true, job.Attempt, spec, now);
            var ended = await JobStateRepository.EndAttemptAsync(tx, job.Id, job.Attempt, end, now);
            if (ended is not null && end.Status != JobStatus.Retrying && row?.StartedAt is { } started)
                Db.OnCommit(tx, () => metrics.JobDuration.WithLabels(end.Status.ToText()).Observe((now - started).TotalSeconds));
            if (ended is not null && run?.Service is { } owner)
                await ServiceRepository.AddEventAsync(tx, owner, ServiceStates.Of(row! with { Status = end.Status, StopRequested = null }, false).ToText(),
                    job.Name, now, end.Detail);
            // Only an end without success can make dependents unreachable; skip the scan otherwise.
            IReadOnlyList<long> skippedIds = end.Status is JobStatus.Succeeded or JobStatus.Retrying
                ? [] : await JobStateRepository.PropagateSkipsAsync(tx, job.RunId, now);
            var runState = await JobStateRepository.RefreshRunAsync(tx, job.RunId, now, run);
            trimmed.AddRange(await retention.TrimTotalAsync(tx));
            await publisher.PublishRowsAsync(tx,
                [.. ended is null ? [] : new[] { ended }, .. skippedIds.Count == 0 ? [] : await JobRepository.GetManyAsync(tx, skippedIds)],
                runState is null ? [] : [runState]);
            // The slot is free and the dependents may start as soon as the end is visible, while its sync runs.
            Db.OnCommit(tx, scheduler.Wake);
            return (skippedIds, trimmed, run?.Service);
        });
        if (pass is not null)
            ingestor!.Complete(pass);
        retention.Free(dropped);
        logSignals.Notify(job.Id);
        if (service is not null)
            services.Wake();
    }

    /// <summary>A service's process: its restart policy decides, counting the restarts within its window.</summary>
    static async Task<AttemptEnd> DecideRestartAsync(System.Data.IDbTransaction tx, JobRow row, RunRow run, ShimStatus? status, ActionSpec spec, DateTimeOffset now)
    {
        var windowStart = now - TimeSpan.FromSeconds(spec.RestartPolicy!.WindowSecs!.Value);
        await ProcessStateRepository.PruneEventsAsync(tx, row.Id, windowStart);
        var restarts = await ProcessStateRepository.RestartsSinceAsync(tx, row.Id, windowStart);
        var uptime = now - (row.AttemptStartedAt ?? now);
        return RestartDecision.Decide(status, row.StopRequested, run.CancelRequested, spec, uptime, restarts, row.RestartStreak, now, Random.Shared);
    }

    IReadOnlyDictionary<string, string> Environment(JobStateRepository.ClaimedJob job, ActionSpec spec, IReadOnlyDictionary<string, string> secrets)
    {
        var environment = new Dictionary<string, string>(ShimLauncher.BaseEnvironment, StringComparer.Ordinal);
        foreach (var (key, value) in spec.Env ?? [])
            environment[key] = value;
        foreach (var (key, value) in ApiJson.Deserialize<Dictionary<string, string>>(job.RunEnvJson))
            environment[key] = value;
        environment["HEROPROC_RUN_ID"] = job.RunId.ToString(CultureInfo.InvariantCulture);
        environment["HEROPROC_JOB_ID"] = job.Id.ToString(CultureInfo.InvariantCulture);
        environment["HEROPROC_JOB_NAME"] = job.Name;
        environment["HEROPROC_ATTEMPT"] = job.Attempt.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in secrets)
            environment[key] = value;
        return environment;
    }
}

/// <summary>Wakes log followers (the SSE stream) when a job's stored output grows or the job ends.</summary>
public sealed class LogSignals
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource> _waiting = new();

    public async Task WaitAsync(long jobId, TimeSpan timeout, CancellationToken ct)
    {
        var signal = _waiting.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await Task.WhenAny(signal.Task, Task.Delay(timeout, ct));
        // A follower that gave up must not leave its entry behind (a finished or deleted job is never notified).
        if (!signal.Task.IsCompleted)
            _waiting.TryRemove(new KeyValuePair<long, TaskCompletionSource>(jobId, signal));
    }

    public void Notify(long jobId)
    {
        if (_waiting.TryRemove(jobId, out var waiting))
            waiting.TrySetResult();
    }
}
