using System.Text.Json.Serialization;

namespace HeroProc.Data;

// The lower-case names below are both the wire format (API.md) and the stored text: one source
// of truth, read by EnumText for SQLite and by JsonStringEnumConverter for JSON.

public enum RunStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

public enum JobStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("starting")] Starting,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("retrying")] Retrying,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("timed_out")] TimedOut,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
    [JsonStringEnumMemberName("skipped")] Skipped,
}

public enum WantedStatus
{
    [JsonStringEnumMemberName("start")] Start,
    [JsonStringEnumMemberName("stop")] Stop,
}

public static class StatusSets
{
    public static readonly RunStatus[] FinishedRun = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled];

    public static bool IsFinished(this RunStatus status) => FinishedRun.Contains(status);

    /// <summary>A job's final statuses: nothing follows them.</summary>
    public static bool IsFinished(this JobStatus status) =>
        status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.TimedOut or JobStatus.Cancelled or JobStatus.Skipped;
}
