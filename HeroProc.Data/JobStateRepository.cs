using System.Data;
using Dapper;

namespace HeroProc.Data;

/// <summary>
/// Every change of a job's status, each a compare-and-set on the status it expects, written with its
/// <c>job_events</c> row in the caller's transaction: two actors can never both move the same job.
/// </summary>
public static class JobStateRepository
{
    static readonly string[] Active = ["starting", "running"];
    static readonly string[] Unfinished = ["pending", "starting", "running", "retrying"];
    static readonly string[] NotSucceeded = ["failed", "timed_out", "cancelled", "skipped"];

    sealed record Candidate
    {
        public long Id { get; init; }
        public long RunId { get; init; }
        public int? MaxParallel { get; init; }
    }

    /// <summary>A job claimed to start: its spec snapshot, its run's env, and where its stored output ends.</summary>
    public sealed record ClaimedJob
    {
        public long Id { get; init; }
        public long RunId { get; init; }
        public required string Name { get; init; }
        public int Attempt { get; init; }
        public required string SpecJson { get; init; }
        public required string RunEnvJson { get; init; }
        /// <summary>The sequence number of the job's last stored line (earlier attempts').</summary>
        public long LogSeq { get; init; }
        /// <summary>The end of the job's log file (LogRepository.EndOffsetAsync).</summary>
        public long LogFileEnd { get; init; }
    }

    /// <summary>Moves one ready job to <c>starting</c> and returns what its attempt needs (ClaimedJob).</summary>
    static readonly string ClaimSql = $"""
        UPDATE jobs SET status = 'starting',
                        attempt = CASE WHEN status = 'retrying' THEN attempt + 1 ELSE attempt END,
                        pid = NULL, exit_code = NULL, signal = NULL, error = NULL, stop_requested = NULL,
                        next_attempt_at = NULL, attempt_started_at = @now, started_at = COALESCE(started_at, @now),
                        spool_segment = 0, spool_offset = 0, carry_stdout = NULL, carry_stderr = NULL,
                        ready_at = NULL, health = NULL, boot_id = @bootId
        WHERE id = @Id AND status IN ('pending', 'retrying')
        RETURNING id, run_id, name, attempt, spec_json, (SELECT env_json FROM runs WHERE runs.id = jobs.run_id) AS run_env_json, log_seq,
                  {LogRepository.EndOffsetOf("jobs.id")} AS log_file_end
        """;

    /// <summary>
    /// Moves up to <paramref name="capacity"/> ready jobs to <c>starting</c>: pending (or retrying and due)
    /// jobs whose dependencies all succeeded, oldest first, within each run's <c>maxParallel</c>.
    /// </summary>
    /// <param name="processes">Claim services' processes (supervised, outside the cap) instead of oneshot jobs.</param>
    /// <returns>
    /// The jobs claimed, and whether ready jobs may remain beyond the candidates looked at while capacity
    /// is left (the window filled up, with jobs of runs at their maxParallel or of retries): then the caller should look again at once.
    /// </returns>
    /// <param name="dueBy">Retries due by then are ready (the scheduler's pass time, which its next wake-up is computed from).</param>
    /// <param name="now">The claim's own time, recorded as the attempt's start: taken inside the transaction, so
    /// it is never before the end, committed earlier, of the job whose slot it takes.</param>
    /// <param name="bootId">This boot's id, recorded with the claim: after a reboot, recovery knows the attempt's files for stale.</param>
    public static async Task<(IReadOnlyList<ClaimedJob> Jobs, bool MoreMayBeReady)> ClaimReadyAsync(
        IDbTransaction tx, int capacity, DateTimeOffset dueBy, DateTimeOffset now, string bootId, bool processes = false)
    {
        if (capacity <= 0)
            return ([], false);
        var connection = tx.Connection!;
        // The kind is written into the SQL (it is one of two constants), so that the processes' partial
        // index serves their query: the pass for processes must not walk every pending oneshot job.
        var kind = processes ? "process" : "oneshot";
        var limit = Math.Min(capacity, 10_000) * 4;
        // Pending jobs and due retries are looked up apart and merged: one query over both would list every
        // pending job before taking the first few. Retries are few; pending jobs are looked up run by run.
        List<Candidate> pending;
        bool morePending;
        if (processes)
        {
            pending = await CandidatesAsync(connection, tx, $"j.status = 'pending' AND j.kind = '{kind}'", dueBy, limit);
            morePending = pending.Count == limit;
        }
        else
            (pending, morePending) = await PendingOneshotCandidatesAsync(connection, tx, limit);
        var retrying = await CandidatesAsync(connection, tx, $"j.status = 'retrying' AND j.kind = '{kind}' AND j.next_attempt_at <= @dueBy", dueBy, limit);
        var candidates = pending.Concat(retrying).OrderBy(c => c.Id).Take(limit).ToList();
        // More may be ready when a query filled its window, or the merge left candidates out.
        var moreMayBeReady = morePending || retrying.Count == limit || pending.Count + retrying.Count > limit;

        var activeByRun = new Dictionary<long, int>();
        var claimed = new List<ClaimedJob>();
        foreach (var candidate in candidates)
        {
            if (claimed.Count == capacity)
                break;
            if (candidate.MaxParallel is { } max)
            {
                if (!activeByRun.TryGetValue(candidate.RunId, out var active))
                    active = activeByRun[candidate.RunId] = await connection.ExecuteScalarAsync<int>(
                        "SELECT COUNT(*) FROM jobs WHERE run_id = @RunId AND status IN ('starting', 'running')", candidate, tx);
                if (active >= max)
                    continue;
                activeByRun[candidate.RunId] = active + 1;
            }
            var job = await connection.QuerySingleOrDefaultAsync<ClaimedJob>(ClaimSql, new { candidate.Id, now, bootId }, tx);
            if (job is null)
                continue;
            await AddEventAsync(tx, job.Id, JobStatus.Starting, job.Attempt, now, null);
            claimed.Add(job);
        }
        return (claimed, moreMayBeReady && claimed.Count < capacity);
    }

    sealed record RunWithPendingJobs
    {
        public long Id { get; init; }
        public int? MaxParallel { get; init; }
        public int Active { get; init; }
    }

    const int RunsPerPage = 64;

    /// <summary>
    /// Up to <paramref name="limit"/> ready pending oneshot jobs, oldest first, found run by run: runs with pending
    /// jobs come from their counters (ix_run_job_counts_pending) in id order, 64 at a time; a run at its maxParallel
    /// is left out without reading its jobs, and each other run gives at most its free slots. A scan of all pending
    /// jobs in id order instead read every pending job of a full run on every pass. A run's jobs are inserted with
    /// it, so run id then job id is the jobs' id order. MoreMayBeReady: the window filled up, maybe with jobs of a
    /// run beyond its free slots, before every run was looked at.
    /// </summary>
    static async Task<(List<Candidate> Candidates, bool MoreMayBeReady)> PendingOneshotCandidatesAsync(IDbConnection connection, IDbTransaction tx, int limit)
    {
        var candidates = new List<Candidate>();
        for (var afterRun = 0L; ;)
        {
            var runs = (await connection.QueryAsync<RunWithPendingJobs>(
                $"""
                SELECT p.run_id AS id, r.max_parallel,
                       (SELECT COALESCE(SUM(a.count), 0) FROM run_job_counts a
                        WHERE a.run_id = p.run_id AND a.status IN ('starting', 'running')) AS active
                FROM run_job_counts p JOIN runs r ON r.id = p.run_id
                WHERE p.status = 'pending' AND p.count > 0 AND p.run_id > @afterRun AND r.cancel_requested = 0
                ORDER BY p.run_id
                LIMIT {RunsPerPage}
                """, new { afterRun }, tx)).AsList();
            var open = runs.Where(r => r.MaxParallel is not { } max || max > r.Active).ToDictionary(r => r.Id);
            if (open.Count > 0)
            {
                var window = limit - candidates.Count;
                // A lone open run is read no further than its free slots: filling them then says that its slots are
                // taken, not that more jobs may be ready (which sent the scheduler on a second pass after every claim).
                var slots = open.Count == 1 && open.Values.Single() is { MaxParallel: { } lone } only ? lone - only.Active : int.MaxValue;
                var rows = Math.Min(window, slots);
                var found = (await connection.QueryAsync<Candidate>(
                    $"""
                    SELECT j.id, j.run_id FROM jobs j
                    WHERE j.run_id IN (SELECT value FROM json_each(@runIds)) AND j.status = 'pending' AND j.kind = 'oneshot'
                      AND {DependenciesSucceeded}
                    ORDER BY j.run_id, j.id
                    LIMIT {Db.Limit("@rows")}
                    """, new { runIds = "[" + string.Join(",", open.Keys) + "]", rows }, tx)).AsList();
                foreach (var fromRun in found.GroupBy(c => c.RunId))
                {
                    var run = open[fromRun.Key];
                    candidates.AddRange(fromRun.Take(run.MaxParallel is { } max ? max - run.Active : int.MaxValue)
                        .Select(c => c with { MaxParallel = run.MaxParallel }));
                }
                if (found.Count == window)
                    return (candidates, true);
            }
            if (runs.Count < RunsPerPage)
                return (candidates, false);
            afterRun = runs[^1].Id;
        }
    }

    /// <summary>
    /// No dependency of job <c>j</c> is unfinished or failed (a service's process counts once it is ready).
    /// CROSS JOIN keeps SQLite from driving the check from every job of the run: it must walk the job's own
    /// few dependencies and look each up by (run_id, name).
    /// </summary>
    const string DependenciesSucceeded =
        """
        NOT EXISTS (
            SELECT 1 FROM json_each(j.depends_on_json) d
            CROSS JOIN jobs dj ON dj.run_id = j.run_id AND dj.name = d.value
            WHERE dj.status <> 'succeeded' AND (dj.kind <> 'process' OR dj.status <> 'running' OR dj.ready_at IS NULL))
        """;

    /// <summary>
    /// Jobs matching <paramref name="source"/> (a status and kind, written into the SQL as constants so that the
    /// processes' partial index serves their query) whose dependencies all succeeded, in runs not cancelled and
    /// below their maxParallel, oldest first.
    /// </summary>
    static async Task<List<Candidate>> CandidatesAsync(IDbConnection connection, IDbTransaction tx, string source, DateTimeOffset dueBy, int limit) =>
        (await connection.QueryAsync<Candidate>(
            $"""
            SELECT j.id, j.run_id, r.max_parallel FROM jobs j JOIN runs r ON r.id = j.run_id
            WHERE {source}
              AND r.cancel_requested = 0
              AND {DependenciesSucceeded}
              AND (r.max_parallel IS NULL OR r.max_parallel >
                   (SELECT COUNT(*) FROM jobs a WHERE a.run_id = j.run_id AND a.status IN ('starting', 'running')))
            ORDER BY j.id
            LIMIT {Db.Limit("@limit")}
            """, new { dueBy, limit }, tx)).AsList();

    /// <summary>The attempt's processes exist: <c>starting</c> → <c>running</c>, with their identity. Returns the row as changed, or null.</summary>
    public static async Task<JobRow?> MarkRunningAsync(IDbTransaction tx, long jobId, int attempt, ProcessIdentity shim,
        ProcessIdentity job, string bootId, DateTimeOffset now)
    {
        var changed = await tx.Connection!.QuerySingleOrDefaultAsync<JobRow>(
            $"""
            UPDATE jobs SET status = 'running', pid = @JobPid, pid_start_time = @JobStart, shim_pid = @ShimPid,
                            shim_start_time = @ShimStart, boot_id = @bootId
            WHERE id = @jobId AND attempt = @attempt AND status = 'starting'
            RETURNING {JobRepository.Columns}
            """, new { jobId, attempt, JobPid = job.Pid, JobStart = job.StartTime, ShimPid = shim.Pid, ShimStart = shim.StartTime, bootId }, tx);
        if (changed is not null)
            await AddEventAsync(tx, jobId, JobStatus.Running, attempt, now, $"pid {job.Pid}");
        return changed;
    }

    /// <summary>
    /// Ends the current attempt: to a final status, or to <c>retrying</c> with <paramref name="nextAttemptAt"/>.
    /// Expects the attempt still <c>starting</c> or <c>running</c>. Returns the row as changed, or null when another actor moved it first.
    /// </summary>
    public static async Task<JobRow?> EndAttemptAsync(IDbTransaction tx, long jobId, int attempt, AttemptEnd end, DateTimeOffset now)
    {
        var changed = await tx.Connection!.QuerySingleOrDefaultAsync<JobRow>(
            $"""
            UPDATE jobs SET status = @Status, exit_code = @ExitCode, signal = @Signal, error = @Error,
                            next_attempt_at = @NextAttemptAt, stop_requested = NULL, ready_at = NULL,
                            last_exit_code = @ExitCode, restart_streak = COALESCE(@RestartStreak, restart_streak),
                            finished_at = CASE WHEN @Status = 'retrying' THEN NULL ELSE @now END
            WHERE id = @jobId AND attempt = @attempt AND status IN ('starting', 'running')
            RETURNING {JobRepository.Columns}
            """, new { jobId, attempt, Status = end.Status.ToText(), end.ExitCode, end.Signal, end.Error, end.NextAttemptAt, end.RestartStreak, now }, tx);
        if (changed is not null)
            await AddEventAsync(tx, jobId, end.Status, attempt, now, end.Detail);
        return changed;
    }

    /// <summary>
    /// Asks the running attempt to stop (the first reason wins); true when a process should be signalled.
    /// With <paramref name="attempt"/>, only that attempt: a late request about an earlier one changes nothing.
    /// </summary>
    public static async Task<bool> RequestStopAsync(IDbTransaction tx, long jobId, string reason, int? attempt = null) =>
        await tx.Connection!.ExecuteAsync(
            "UPDATE jobs SET stop_requested = COALESCE(stop_requested, @reason) WHERE id = @jobId AND status IN @Active AND (@attempt IS NULL OR attempt = @attempt)",
            new { jobId, reason, Active, attempt }, tx) == 1;

    /// <summary>Cancels the job if it has not started (pending or retrying); true when it did.</summary>
    public static async Task<bool> CancelWaitingAsync(IDbTransaction tx, long jobId, DateTimeOffset now, string detail)
    {
        var attempt = await tx.Connection!.ExecuteScalarAsync<int?>(
            """
            UPDATE jobs SET status = 'cancelled', finished_at = @now, next_attempt_at = NULL
            WHERE id = @jobId AND status IN ('pending', 'retrying')
            RETURNING attempt
            """, new { jobId, now }, tx);
        if (attempt is null)
            return false;
        await AddEventAsync(tx, jobId, JobStatus.Cancelled, attempt.Value, now, detail);
        return true;
    }

    /// <summary>
    /// Marks <c>skipped</c>, transitively, every pending job of the run with a dependency that ended without
    /// succeeding. Returns the ids it skipped.
    /// </summary>
    public static async Task<IReadOnlyList<long>> PropagateSkipsAsync(IDbTransaction tx, long runId, DateTimeOffset now)
    {
        var skipped = new List<long>();
        while (true)
        {
            var round = (await tx.Connection!.QueryAsync<(long Id, int Attempt, string Dependency)>(
                """
                UPDATE jobs SET status = 'skipped', finished_at = @now
                WHERE run_id = @runId AND status = 'pending' AND EXISTS (
                    SELECT 1 FROM json_each(jobs.depends_on_json) d
                    CROSS JOIN jobs dj ON dj.run_id = jobs.run_id AND dj.name = d.value
                    WHERE dj.status IN @NotSucceeded)
                RETURNING id, attempt, (SELECT dj.name || ' ' || dj.status FROM json_each(jobs.depends_on_json) d
                    CROSS JOIN jobs dj ON dj.run_id = jobs.run_id AND dj.name = d.value
                    WHERE dj.status IN @NotSucceeded LIMIT 1)
                """, new { runId, now, NotSucceeded }, tx)).AsList();
            if (round.Count == 0)
                return skipped;
            foreach (var job in round)
                await AddEventAsync(tx, job.Id, JobStatus.Skipped, job.Attempt, now, $"dependency {job.Dependency}");
            skipped.AddRange(round.Select(j => j.Id));
        }
    }

    /// <summary>
    /// Derives the run's status from its jobs and stores it when it changed. Returns the run as it now stands,
    /// with its counts (null when it is gone).
    /// </summary>
    /// <param name="run">The run's row, when the caller read it in this transaction and has not changed it since.</param>
    public static async Task<RunState?> RefreshRunAsync(IDbTransaction tx, long runId, DateTimeOffset now, RunRow? run = null)
    {
        var connection = tx.Connection!;
        var counts = (await connection.QueryAsync<JobCountRow>(
            "SELECT run_id, status AS status_text, count FROM run_job_counts WHERE run_id = @runId AND count > 0", new { runId }, tx)).AsList();
        run ??= await RunRepository.GetAsync(tx, runId);
        if (run is null)
            return null;

        int Count(JobStatus status) => counts.Where(c => c.Status == status).Sum(c => c.Count);
        var total = counts.Sum(c => c.Count);
        var unfinished = counts.Where(c => !c.Status.IsFinished()).Sum(c => c.Count);
        var status = unfinished > 0
            ? Count(JobStatus.Pending) == total ? RunStatus.Pending : RunStatus.Running
            : run.CancelRequested ? RunStatus.Cancelled
            : Count(JobStatus.Succeeded) == total ? RunStatus.Succeeded
            : RunStatus.Failed;
        if (status == run.Status)
            return new RunState(run, counts);
        return new RunState(await connection.QuerySingleAsync<RunRow>(
            $"""
            UPDATE runs SET status = @Status,
                            started_at = (SELECT MIN(started_at) FROM jobs WHERE run_id = @runId),
                            finished_at = CASE WHEN @Finished THEN @now ELSE NULL END
            WHERE id = @runId
            RETURNING {RunRepository.Columns}
            """, new { runId, Status = status.ToText(), Finished = status.IsFinished(), now }, tx), counts);
    }

    /// <summary>Flags the run as cancelled: nothing new of it starts, and it ends <c>cancelled</c>.</summary>
    public static async Task<bool> RequestRunCancelAsync(IDbTransaction tx, long runId) =>
        await tx.Connection!.ExecuteAsync(
            "UPDATE runs SET cancel_requested = 1 WHERE id = @runId AND status IN ('pending', 'running')", new { runId }, tx) == 1;

    public static async Task<IReadOnlyList<JobRow>> ListUnfinishedAsync(IDbTransaction tx, long runId) =>
        (await tx.Connection!.QueryAsync<JobRow>(
            $"SELECT {JobRepository.Columns} FROM jobs WHERE run_id = @runId AND status IN @Unfinished ORDER BY id",
            new { runId, Unfinished }, tx)).AsList();

    /// <summary>
    /// The earliest time after <paramref name="now"/> a retrying job becomes due, for the scheduler's timer.
    /// Retries already due but blocked (a dependency, the cap, a pause) are looked at again on the wake that
    /// unblocks them; they must not hide a later one.
    /// </summary>
    public static Task<DateTimeOffset?> NextRetryDueAsync(IDbTransaction tx, DateTimeOffset now) =>
        tx.Connection!.ExecuteScalarAsync<DateTimeOffset?>(
            "SELECT MIN(next_attempt_at) FROM jobs WHERE status = 'retrying' AND next_attempt_at > @now", new { now }, tx);

    /// <summary>
    /// Oneshot jobs starting or running: what <c>MaxParallelJobs</c> caps (services' processes are not
    /// counted, unless <paramref name="includeProcesses"/>).
    /// </summary>
    public static Task<int> CountActiveAsync(IDbTransaction tx, bool includeProcesses = false) =>
        tx.Connection!.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM jobs WHERE status IN @Active AND (kind = 'oneshot' OR @includeProcesses)", new { Active, includeProcesses }, tx);

    public static Task AddEventAsync(IDbTransaction tx, long jobId, JobStatus status, int attempt, DateTimeOffset at, string? detail) =>
        tx.Connection!.ExecuteAsync(
            "INSERT INTO job_events (job_id, status, attempt, at, detail) VALUES (@jobId, @status, @attempt, @at, @detail)",
            new { jobId, status = status.ToText(), attempt, at, detail }, tx);
}

/// <summary>A process as the kernel knows it: pid plus start time (clock ticks after boot), so a reused pid is told apart.</summary>
public readonly record struct ProcessIdentity(int Pid, long StartTime);

/// <summary>How an attempt ended, and what the job becomes.</summary>
/// <param name="RestartStreak">A process: its failed runs in a row after this end (null leaves it as it is).</param>
public sealed record AttemptEnd(
    JobStatus Status, int? ExitCode, string? Signal, string? Error, DateTimeOffset? NextAttemptAt, string Detail, int? RestartStreak = null);
