using System.Collections.Concurrent;
using System.Globalization;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Emptied state files of ended attempts, kept in <c>spare/</c> under the data directory and renamed into
/// place for the next attempts. On this machine's ext4 (no journal), creating a file scans past every inode
/// freed in the last minutes (30 s, or 5 min while its inode table block is dirty), and a server that deleted
/// one state file per job made each new one slower: up to 40 % of a shim's CPU went to that scan here.
/// A rename allocates no inode and frees none.
/// </summary>
public sealed class SpareFiles
{
    /// <summary>Enough for the attempts that end together; beyond it a file is deleted.</summary>
    const int MaxKept = 256;

    readonly string _dir;
    readonly ConcurrentStack<string> _kept = new();
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
                _kept.Push(file);
                _lastName = Math.Max(_lastName, name);
            }
        }
    }

    /// <summary>Moves an empty spare file to <paramref name="path"/>; false when none is left.</summary>
    public bool TryPlace(string path)
    {
        while (_kept.TryPop(out var spare))
        {
            if (Native.Rename(spare, path))
                return true;
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
            if (_kept.Count < MaxKept && Native.Truncate(path) && MoveToSpares(path) is { } spare)
                _kept.Push(spare);
            else
                File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    string? MoveToSpares(string path)
    {
        var spare = Path.Combine(_dir, Interlocked.Increment(ref _lastName).ToString(CultureInfo.InvariantCulture));
        if (Native.Rename(path, spare))
            return spare;
        Directory.CreateDirectory(_dir);  // the first spare, or the directory was removed
        return Native.Rename(path, spare) ? spare : null;
    }
}
