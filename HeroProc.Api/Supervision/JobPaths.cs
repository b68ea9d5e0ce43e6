using System.Globalization;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Where a job's files live under the (0700) data directory: <c>work/&lt;id&gt;</c> (the default cwd),
/// <c>attempts/&lt;id&gt;-&lt;n&gt;.*</c> (the shim's state file and spool segments, the attempt's secrets),
/// <c>logs/&lt;id&gt;.log</c>. A job gets one directory (only when it runs in the default cwd) and an attempt
/// a name prefix in a shared one: on this machine's ext4 (no journal), every file or directory created costs
/// a scan past the inodes deleted in the last minutes (see SpareFiles), so a job creates few: its state file
/// reuses the inode of an ended attempt's, and its directory, if an ended job left its own empty, that one.
/// </summary>
public sealed class JobPaths(string dataDir)
{
    readonly SpareFiles _spares = new(dataDir);

    public string DataDir { get; } = dataDir;

    public string WorkDir(long jobId) => Path.Combine(DataDir, "work", Id(jobId));

    /// <summary>Makes the job's default working directory, from a spare (see SpareFiles) when one is kept.</summary>
    public void PrepareWorkDir(long jobId)
    {
        var path = WorkDir(jobId);
        if (!Directory.Exists(path) && !_spares.TryPlaceDirectory(path))
            Directory.CreateDirectory(path);
    }

    /// <summary>After the job's processes are gone: its default working directory, if the job left nothing in it, becomes a spare.</summary>
    public void ReclaimWorkDirIfEmpty(long jobId) => _spares.KeepDirectoryIfEmpty(WorkDir(jobId));

    /// <summary>The directory every attempt's files are in.</summary>
    public string AttemptsDir => Path.Combine(DataDir, "attempts");

    /// <summary>The path prefix of an attempt's files, as the shim is given it.</summary>
    public string AttemptFiles(long jobId, int attempt) => Path.Combine(AttemptsDir, $"{Id(jobId)}-{attempt.ToString(CultureInfo.InvariantCulture)}");

    public string StateFile(long jobId, int attempt) => AttemptFiles(jobId, attempt) + ".state";

    /// <summary>Gives the attempt's state file the inode of a spare, if one is kept, before its shim opens it.</summary>
    public void PlaceStateFile(long jobId, int attempt) => _spares.TryPlace(StateFile(jobId, attempt));

    public string SecretsFile(long jobId, int attempt) => AttemptFiles(jobId, attempt) + ".secrets";

    public string LogFile(long jobId) => Path.Combine(DataDir, "logs", $"{Id(jobId)}.log");

    public string SpoolSegment(long jobId, int attempt, long segment) => IsLegacy(jobId, attempt)
        ? Path.Combine(LegacyAttemptDir(jobId, attempt), $"spool.{segment.ToString(CultureInfo.InvariantCulture)}")
        : $"{AttemptFiles(jobId, attempt)}.spool.{segment.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>What the attempt's shim has recorded so far (see <see cref="AttemptState"/>).</summary>
    public AttemptState ReadState(long jobId, int attempt) =>
        IsLegacy(jobId, attempt) ? AttemptState.ReadLegacy(LegacyAttemptDir(jobId, attempt)) : AttemptState.Read(StateFile(jobId, attempt));

    // Servers before this layout gave each attempt a directory, jobs/ID/attempt-N, with shim.pid, job.pid,
    // status and spool.N: attempts such a server left running are followed there to their end.
    readonly System.Collections.Concurrent.ConcurrentDictionary<(long, int), bool> _legacy = new();

    string LegacyAttemptDir(long jobId, int attempt) =>
        Path.Combine(DataDir, "jobs", Id(jobId), $"attempt-{attempt.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>At recovery: whether an attempt left by an older server is in the old layout (and from then on, it is read there).</summary>
    public bool AdoptLegacyLayout(long jobId, int attempt)
    {
        if (File.Exists(StateFile(jobId, attempt)) || !Directory.Exists(LegacyAttemptDir(jobId, attempt)))
            return false;
        _legacy[(jobId, attempt)] = true;
        return true;
    }

    bool IsLegacy(long jobId, int attempt) => !_legacy.IsEmpty && _legacy.ContainsKey((jobId, attempt));

    /// <summary>
    /// Deletes an attempt's files (its spool may hold secret output). Spool segments go up to the first missing one
    /// after <paramref name="reachedSegment"/>, the one ingestion reached; those before it were deleted as they were
    /// ingested, but a crash between a commit and its delete can leave one. A failure only leaves garbage.
    /// Once the shim has ended (<paramref name="shimEnded"/>), nothing writes the state file any more: it is kept as a spare.
    /// </summary>
    public void DeleteAttemptFiles(long jobId, int attempt, long reachedSegment = 0, bool shimEnded = false)
    {
        if (_legacy.TryRemove((jobId, attempt), out _))
            TryDelete(() => Directory.Delete(LegacyAttemptDir(jobId, attempt), recursive: true));
        if (shimEnded)
            _spares.Keep(StateFile(jobId, attempt));
        else
            TryDelete(() => File.Delete(StateFile(jobId, attempt)));
        TryDelete(() => File.Delete(SecretsFile(jobId, attempt)));
        for (var segment = 0L; segment < reachedSegment || File.Exists(SpoolSegment(jobId, attempt, segment)); segment++)
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
            TryDelete(() => Directory.Delete(Path.Combine(DataDir, "jobs", Id(id)), recursive: true));  // the older layout
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
        foreach (var dir in new[] { "work", "attempts", "logs", "jobs" /* the older layout */ })
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
