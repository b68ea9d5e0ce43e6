using System.Collections.Concurrent;
using System.Globalization;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Emptied state files of ended attempts, and the empty working directories of ended jobs, kept in <c>spare/</c>
/// under the data directory and renamed into place for the next attempts. On this machine's ext4 (no journal),
/// creating a file or directory scans past every inode freed in the last minutes (30 s, or 5 min while its inode
/// table block is dirty): up to 40 % of a shim's CPU went to that scan for its state file, and 8 % of the
/// server's to the working directories' mkdir. A rename allocates no inode and frees none.
/// </summary>
public sealed class SpareFiles
{
    /// <summary>Enough for the attempts that end together; beyond it a file is deleted, a directory left where it is.</summary>
    const int MaxKept = 256;

    const string DirectoryPrefix = "dir-";

    readonly string _dir;
    readonly ConcurrentStack<string> _files = new();
    readonly ConcurrentStack<string> _directories = new();
    long _lastName;

    public SpareFiles(string dataDir)
    {
        _dir = Path.Combine(dataDir, "spare");
        if (!Directory.Exists(_dir))
            return;
        foreach (var file in Directory.EnumerateFiles(_dir))
        {
            // Nothing here is synced: after a power cut a spare may show its old lines again, so it is emptied anew.
            if (long.TryParse(Path.GetFileName(file), CultureInfo.InvariantCulture, out var name) && Native.Truncate(file))
            {
                _files.Push(file);
                _lastName = Math.Max(_lastName, name);
            }
        }
        foreach (var directory in Directory.EnumerateDirectories(_dir, DirectoryPrefix + "*"))
        {
            if (long.TryParse(Path.GetFileName(directory)[DirectoryPrefix.Length..], CultureInfo.InvariantCulture, out var name) && IsEmpty(directory))
            {
                _directories.Push(directory);
                _lastName = Math.Max(_lastName, name);
            }
        }
    }

    /// <summary>Moves an empty spare file to <paramref name="path"/>; false when none is left.</summary>
    public bool TryPlace(string path) => TryPlace(_files, path);

    /// <summary>Moves an empty spare directory to <paramref name="path"/>, which must not exist; false when none is left.</summary>
    public bool TryPlaceDirectory(string path) => TryPlace(_directories, path);

    static bool TryPlace(ConcurrentStack<string> spares, string path)
    {
        while (spares.TryPop(out var spare))
        {
            if (Native.Rename(spare, path))
                return true;
            // The spare is still there: the destination refused it (its directory is gone, say). Kept for later.
            if (Path.Exists(spare))
            {
                spares.Push(spare);
                return false;
            }
        }
        return false;
    }

    /// <summary>
    /// Empties the file at <paramref name="path"/> and keeps it as a spare, or deletes it when enough are kept.
    /// Only for a file no process writes to any more: a writer would write into the next attempt's file.
    /// </summary>
    public void Keep(string path)
    {
        try
        {
            if (_files.Count < MaxKept && Native.Truncate(path) && MoveToSpares(path, "") is { } spare)
                _files.Push(spare);
            else
                File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Keeps the directory at <paramref name="path"/> as a spare if it is empty and as it was made; one with files
    /// stays where it is, and so does a link a job put in its place or one whose mode it changed. Only for a
    /// directory no process uses any more.
    /// </summary>
    public void KeepDirectoryIfEmpty(string path)
    {
        try
        {
            if (_directories.Count < MaxKept && IsPlainAndEmpty(path) && MoveToSpares(path, DirectoryPrefix) is { } spare)
                _directories.Push(spare);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    static bool IsEmpty(string directory) => !Directory.EnumerateFileSystemEntries(directory).Any();

    static bool IsPlainAndEmpty(string path)
    {
        var directory = new DirectoryInfo(path);
        return !OperatingSystem.IsWindows() && directory.LinkTarget is null
            && directory.UnixFileMode == directory.Parent!.UnixFileMode && IsEmpty(path);
    }

    string? MoveToSpares(string path, string prefix)
    {
        var spare = Path.Combine(_dir, prefix + Interlocked.Increment(ref _lastName).ToString(CultureInfo.InvariantCulture));
        if (Native.Rename(path, spare))
            return spare;
        Directory.CreateDirectory(_dir);  // the first spare, or the directory was removed
        return Native.Rename(path, spare) ? spare : null;
    }
}
