using System.Globalization;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Where a job's files live under the (0700) data directory: <c>work/&lt;id&gt;</c> (the default cwd),
/// <c>attempts/&lt;id&gt;-&lt;n&gt;.*</c> (the shim's state file and spool segments, the attempt's secrets),
/// <c>logs/&lt;id&gt;.log</c>. A job gets one directory (only when it runs in the default cwd) and an attempt
/// a name prefix in a shared one: on this machine's ext4 (no journal), every file or directory created costs
/// a scan past the inodes deleted in the last minutes (see Shim/heroproc-shim.c), so a job creates few.
/// </summary>
public sealed class JobPaths(string dataDir)
{
    public string DataDir { get; } = dataDir;

    public string WorkDir(long jobId) => Path.Combine(DataDir, "work", Id(jobId));

    /// <summary>The directory every attempt's files are in.</summary>
    public string AttemptsDir => Path.Combine(DataDir, "attempts");

    /// <summary>The path prefix of an attempt's files, as the shim is given it.</summary>
    public string AttemptFiles(long jobId, int attempt) => Path.Combine(AttemptsDir, $"{Id(jobId)}-{attempt.ToString(CultureInfo.InvariantCulture)}");

    public string StateFile(long jobId, int attempt) => AttemptFiles(jobId, attempt) + ".state";

    public string SecretsFile(long jobId, int attempt) => AttemptFiles(jobId, attempt) + ".secrets";

    public string LogFile(long jobId) => Path.Combine(DataDir, "logs", $"{Id(jobId)}.log");

    public string SpoolSegment(long jobId, int attempt, long segment) =>
        $"{AttemptFiles(jobId, attempt)}.spool.{segment.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Deletes an attempt's files (its spool may hold secret output): the spool segments from
    /// <paramref name="fromSegment"/> on (those before it were deleted as they were ingested). A failure only leaves garbage.
    /// </summary>
    public void DeleteAttemptFiles(long jobId, int attempt, long fromSegment)
    {
        TryDelete(() => File.Delete(StateFile(jobId, attempt)));
        TryDelete(() => File.Delete(SecretsFile(jobId, attempt)));
        for (var segment = fromSegment; File.Exists(SpoolSegment(jobId, attempt, segment)); segment++)
        {
            var path = SpoolSegment(jobId, attempt, segment);
            TryDelete(() => File.Delete(path));
        }
    }

    /// <summary>Deletes the files of jobs whose rows are gone; a failure only leaves garbage, never breaks a request.</summary>
    public void DeleteJobFiles(IEnumerable<long> jobIds)
    {
        var ids = jobIds.ToHashSet();
        foreach (var id in ids)
        {
            TryDelete(() => Directory.Delete(WorkDir(id), recursive: true));
            TryDelete(() => File.Delete(LogFile(id)));
        }
        // Attempt files outlive their attempt only when the server stopped meanwhile.
        var leftovers = new List<string>();
        TryDelete(() => leftovers.AddRange(Directory.EnumerateFiles(AttemptsDir)
            .Where(file => long.TryParse(Path.GetFileName(file).Split('-')[0], CultureInfo.InvariantCulture, out var id) && ids.Contains(id))));
        foreach (var file in leftovers)
            TryDelete(() => File.Delete(file));
    }

    /// <summary>After a wipe: every job's files.</summary>
    public void DeleteAllJobFiles()
    {
        foreach (var dir in new[] { "work", "attempts", "logs" })
            TryDelete(() => Directory.Delete(Path.Combine(DataDir, dir), recursive: true));
    }

    static string Id(long jobId) => jobId.ToString(CultureInfo.InvariantCulture);

    static void TryDelete(Action delete)
    {
        try { delete(); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
