using System.Runtime.InteropServices;

namespace HeroProc.Data;

/// <summary>
/// Makes commits durable after the writer has moved on. With <c>synchronous=FULL</c>, SQLite syncs the WAL
/// inside every commit, while it still holds the write lock: every writer queued behind it (a job's claim,
/// its pid) waited for the disk too, and the cores sat idle meanwhile. The writer commits with
/// <c>synchronous=NORMAL</c> instead (in WAL mode that risks no corruption, only the last commits on power
/// loss) and hands the units that must be durable here: they complete once an fsync of the WAL file that
/// began after their commit has returned. That is what FULL does, with the wait moved off the write lock;
/// commits made while one sync runs share the next.
/// </summary>
sealed class WalSync
{
    readonly Lock _lock = new();
    List<(TaskCompletionSource<object?> Done, object? Result)> _waiting = [];
    bool _syncing;
    string? _databaseFile;
    long _syncs;

    // A sync that failed may have lost WAL pages the kernel then reports clean; the WAL's frames chain by checksum, so
    // every later commit could be lost with them. From the first failure on, no commit is reported durable again.
    Exception? _failed;

    /// <summary>The syncs done so far: one per batch of commits waiting for the disk.</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>The database file as SQLite opened it (links resolved): its WAL is this name with "-wal".</summary>
    public void Track(string databaseFile) => Volatile.Write(ref _databaseFile, databaseFile);

    /// <summary>Completes <paramref name="done"/> with <paramref name="result"/> once the commit just made is on disk.</summary>
    public void CompleteWhenDurable(TaskCompletionSource<object?> done, object? result)
    {
        lock (_lock)
        {
            _waiting.Add((done, result));
            if (_syncing)
                return;
            _syncing = true;
        }
        _ = Task.Run(SyncLoop);
    }

    void SyncLoop()
    {
        while (true)
        {
            List<(TaskCompletionSource<object?> Done, object? Result)> batch;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    _syncing = false;
                    return;
                }
                (batch, _waiting) = (_waiting, []);
            }
            // Every commit in the batch wrote its frames before it was queued, so this sync covers them all.
            try
            {
                if (_failed is not null)
                    throw _failed;
                Sync();
                Interlocked.Increment(ref _syncs);
            }
            catch (Exception e)
            {
                // Whatever went wrong, every waiter hears it, and the loop goes on: no durable write may wait forever.
                _failed ??= new IOException($"A commit is applied but could not be synced to disk: {e.Message}", e);
            }
            foreach (var (done, result) in batch)
            {
                if (_failed is null)
                    done.TrySetResult(result);
                else
                    done.TrySetException(_failed);
            }
        }
    }

    /// <summary>
    /// fsync of the WAL file and of its directory (a WAL created since the last sync must not vanish with a power
    /// cut). With no WAL (SQLite removes it at its last close, checkpointed into the database), the database file.
    /// </summary>
    void Sync()
    {
        var database = Volatile.Read(ref _databaseFile) ?? throw new InvalidOperationException("no database file to sync");
        var wal = database + "-wal";
        SyncFile(File.Exists(wal) ? wal : database);
        SyncFile(Path.GetDirectoryName(database)!);
    }

    static void SyncFile(string path)
    {
        const int readOnly = 0, closeOnExec = 0x80000;  // the same on x86-64 and arm64
        var fd = open(path, readOnly | closeOnExec);
        if (fd < 0)
            throw new IOException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (fsync(fd) != 0)
                throw new IOException($"fsync {path}: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    static extern int fsync(int fd);
}
