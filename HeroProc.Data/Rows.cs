namespace HeroProc.Data;

// Row records: one per table, columns mapped by name (snake_case to PascalCase). JSON columns stay
// strings here; their shape belongs to the API's contracts, not to storage. Enum columns are read
// into a ...Text property (see DapperTypeHandlers for why).

public sealed record ActionRow
{
    public long Id { get; init; }
    public required string Name { get; init; }
    public string? Service { get; init; }
    public int Position { get; init; }
    public required string SpecJson { get; init; }
    public string TagsJson { get; init; } = "[]";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record ServiceRow
{
    public long Id { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public string RequiresJson { get; init; } = "[]";
    public string AfterJson { get; init; } = "[]";
    public WantedStatus WantedStatus { get; init; } = WantedStatus.Stop;
    public string WantedStatusText { get => WantedStatus.ToText(); init => WantedStatus = EnumText<WantedStatus>.Parse(value); }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>The service's current or last run.</summary>
    public long? RunId { get; init; }
    /// <summary>A start or restart waits for a new run.</summary>
    public bool NeedsRun { get; init; }
    /// <summary>Why the service failed from outside its run (a requirement failed).</summary>
    public string? Reason { get; init; }
}

/// <summary>One entry of a service's history: a state change, a restart, a probe transition, a request.</summary>
public sealed record ServiceEventRow
{
    public required string State { get; init; }
    public string? Action { get; init; }
    public DateTimeOffset At { get; init; }
    public string? Detail { get; init; }
}

public sealed record RunRow
{
    public long Id { get; init; }
    public string? Name { get; init; }
    public string? Service { get; init; }
    public string? Schedule { get; init; }
    public long? RetryOf { get; init; }
    public RunStatus Status { get; init; }
    public string StatusText { get => Status.ToText(); init => Status = EnumText<RunStatus>.Parse(value); }
    public string TagsJson { get; init; } = "[]";
    public string EnvJson { get; init; } = "{}";
    public int? MaxParallel { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public bool CancelRequested { get; init; }
}

public sealed record JobRow
{
    public long Id { get; init; }
    public long RunId { get; init; }
    public required string Name { get; init; }
    public string? Action { get; init; }
    public JobStatus Status { get; init; }
    public string StatusText { get => Status.ToText(); init => Status = EnumText<JobStatus>.Parse(value); }
    public int Attempt { get; init; } = 1;
    public int? Pid { get; init; }
    public int? ExitCode { get; init; }
    public string? Signal { get; init; }
    public string? Error { get; init; }
    public string DependsOnJson { get; init; } = "[]";
    public required string SpecJson { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>'cancel' or 'timeout': why the server asked the current attempt to stop.</summary>
    public string? StopRequested { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public DateTimeOffset? AttemptStartedAt { get; init; }
    public long? PidStartTime { get; init; }
    public int? ShimPid { get; init; }
    public long? ShimStartTime { get; init; }
    public string? BootId { get; init; }
    public long SpoolSegment { get; init; }
    public long SpoolOffset { get; init; }
    public byte[]? CarryStdout { get; init; }
    public byte[]? CarryStderr { get; init; }
    public long LogSeq { get; init; }
    public long LogBytes { get; init; }
    public long LogDroppedLines { get; init; }
    /// <summary>'oneshot' or 'process'.</summary>
    public string Kind { get; init; } = "oneshot";
    public DateTimeOffset? ReadyAt { get; init; }
    /// <summary>'passing', 'failing', or null before a probe answered.</summary>
    public string? Health { get; init; }
    public int RestartStreak { get; init; }
    public int? LastExitCode { get; init; }

    public bool IsProcess => Kind == "process";
}

public sealed record JobEventRow
{
    public long Id { get; init; }
    public long JobId { get; init; }
    public JobStatus Status { get; init; }
    public string StatusText { get => Status.ToText(); init => Status = EnumText<JobStatus>.Parse(value); }
    public int Attempt { get; init; }
    public DateTimeOffset At { get; init; }
    public string? Detail { get; init; }
}

/// <summary>How many jobs of one run are in one status.</summary>
public sealed record JobCountRow
{
    public long RunId { get; init; }
    public JobStatus Status { get; init; }
    public string StatusText { get => Status.ToText(); init => Status = EnumText<JobStatus>.Parse(value); }
    public int Count { get; init; }
}

/// <summary>A run with its jobs' counts by status (only those above zero), as one transaction sees them.</summary>
public sealed record RunState(RunRow Run, IReadOnlyList<JobCountRow> Counts);

public sealed record IdempotencyKeyRow
{
    public required string Key { get; init; }
    public required string RequestHash { get; init; }
    public long RunId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
