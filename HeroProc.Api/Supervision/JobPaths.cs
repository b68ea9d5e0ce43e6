using System.Globalization;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Where a job's files live under the (0700) data directory: <c>jobs/&lt;id&gt;/work</c> (default cwd),
/// <c>jobs/&lt;id&gt;/attempt-&lt;n&gt;</c> (the shim's spool, pid and status files), <c>logs/&lt;id&gt;.log</c>.
/// </summary>
public sealed class JobPaths(string dataDir)
{
    public string DataDir { get; } = dataDir;

    public string JobDir(long jobId) => Path.Combine(DataDir, "jobs", jobId.ToString(CultureInfo.InvariantCulture));

    public string WorkDir(long jobId) => Path.Combine(JobDir(jobId), "work");

    public string AttemptDir(long jobId, int attempt) => Path.Combine(JobDir(jobId), $"attempt-{attempt}");

    public string LogFile(long jobId) => Path.Combine(DataDir, "logs", $"{jobId.ToString(CultureInfo.InvariantCulture)}.log");

    public string SpoolSegment(long jobId, int attempt, long segment) =>
        Path.Combine(AttemptDir(jobId, attempt), $"spool.{segment.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Deletes the files of jobs whose rows are gone; a failure only leaves garbage, never breaks a request.</summary>
    public void DeleteJobFiles(IEnumerable<long> jobIds)
    {
        foreach (var id in jobIds)
        {
            TryDelete(() => Directory.Delete(JobDir(id), recursive: true));
            TryDelete(() => File.Delete(LogFile(id)));
        }
    }

    /// <summary>After a wipe: every job directory and log file.</summary>
    public void DeleteAllJobFiles()
    {
        TryDelete(() => Directory.Delete(Path.Combine(DataDir, "jobs"), recursive: true));
        TryDelete(() => Directory.Delete(Path.Combine(DataDir, "logs"), recursive: true));
    }

    static void TryDelete(Action delete)
    {
        try { delete(); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
