using System.Globalization;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Where a job's files live under the (0700) data directory: <c>jobs/&lt;id&gt;/work</c> (default cwd),
/// <c>jobs/&lt;id&gt;/attempt-&lt;n&gt;.*</c> (the shim's state file and spool segments, the attempt's
/// secrets), <c>logs/&lt;id&gt;.log</c>. An attempt's files share a name prefix instead of a directory of
/// their own: each directory created and deleted costs more than the files themselves on this machine's
/// ext4 (see Shim/heroproc-shim.c).
/// </summary>
public sealed class JobPaths(string dataDir)
{
    public string DataDir { get; } = dataDir;

    public string JobDir(long jobId) => Path.Combine(DataDir, "jobs", jobId.ToString(CultureInfo.InvariantCulture));

    public string WorkDir(long jobId) => Path.Combine(JobDir(jobId), "work");

    /// <summary>The path prefix of an attempt's files, as the shim is given it.</summary>
    public string AttemptFiles(long jobId, int attempt) => Path.Combine(JobDir(jobId), AttemptPrefix(attempt));

    public string StateFile(long jobId, int attempt) => AttemptFiles(jobId, attempt) + ".state";

    public string SecretsFile(long jobId, int attempt) => AttemptFiles(jobId, attempt) + ".secrets";

    public string LogFile(long jobId) => Path.Combine(DataDir, "logs", $"{jobId.ToString(CultureInfo.InvariantCulture)}.log");

    public string SpoolSegment(long jobId, int attempt, long segment) =>
        $"{AttemptFiles(jobId, attempt)}.spool.{segment.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Deletes an attempt's files (its spool may hold secret output); a failure only leaves garbage.</summary>
    public void DeleteAttemptFiles(long jobId, int attempt)
    {
        IEnumerable<string> files;
        try { files = Directory.EnumerateFiles(JobDir(jobId), AttemptPrefix(attempt) + ".*").ToList(); }
        catch (DirectoryNotFoundException) { return; }
        foreach (var file in files)
            TryDelete(() => File.Delete(file));
    }

    static string AttemptPrefix(int attempt) => $"attempt-{attempt.ToString(CultureInfo.InvariantCulture)}";

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
