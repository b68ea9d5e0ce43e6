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
sealed class WalSync(string databasePath) : IDisposable
{
    readonly string _walPath = databasePath + "-wal";
    readonly Lock _lock = new();
    List<(TaskCompletionSource<object?> Done, object? Result)> _waiting = [];
    bool _syncing;
    int _wal = -1;
    long _walInode = -1;

    long _syncs;

    /// <summary>The syncs done so far: one per batch of commits waiting for the disk.</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

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
            Exception? failure = null;
            try
            {
                SyncWal();
                Interlocked.Increment(ref _syncs);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failure = new IOException($"The commit is applied but could not be synced to disk: {e.Message}", e);
            }
            foreach (var (done, result) in batch)
            {
                if (failure is null)
                    done.TrySetResult(result);
                else
                    done.TrySetException(failure);
            }
        }
    }

    /// <summary>fsync of the WAL file, through a descriptor kept open until SQLite replaces the file (a new inode).</summary>
    void SyncWal()
    {
        // SQLite removes the WAL (when its last connection closes) only once it is checkpointed into the database file, synced.
        if (!File.Exists(_walPath))
            return;
        var inode = Inode(_walPath);
        if (_wal < 0 || inode != _walInode)
        {
            if (_wal >= 0)
                close(_wal);
            _wal = Open(_walPath);
            _walInode = inode;
            // A new WAL file's directory entry must reach the disk too, or the file may be gone after a power cut.
            var directory = Open(Path.GetDirectoryName(Path.GetFullPath(_walPath))!);
            try { Fsync(directory); }
            finally { close(directory); }
        }
        Fsync(_wal);
    }

    /// <summary>Closes the WAL's descriptor; left to the process's end if a sync is under way.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_syncing || _wal < 0)
                return;
            close(_wal);
            _wal = -1;
        }
    }

    /// <summary>st_ino of stat(2): the second 64-bit field of struct stat on x86-64 and arm64 alike.</summary>
    static long Inode(string path)
    {
        var status = new byte[256];  // larger than struct stat
        if (stat(path, status) != 0)
            throw new IOException($"stat {path}: errno {Marshal.GetLastPInvokeError()}");
        return BitConverter.ToInt64(status, 8);
    }

    static int Open(string path)
    {
        const int readOnly = 0, closeOnExec = 0x80000;  // the same on x86-64 and arm64
        var fd = open(path, readOnly | closeOnExec);
        return fd >= 0 ? fd : throw new IOException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    static void Fsync(int fd)
    {
        if (fsync(fd) != 0)
            throw new IOException($"fsync: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    static extern int stat(string path, byte[] status);
}
