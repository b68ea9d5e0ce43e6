using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HeroProc.Api.Supervision;

/// <summary>
/// Waits for processes this server did not spawn (shims adopted after a restart) to exit, without
/// polling: each is held by a pidfd (pidfd_open), and one thread waits on all of them with epoll.
/// A pidfd refers to the process itself, so a pid reused after the exit can never be mistaken for it.
/// </summary>
public sealed partial class ProcessExitWatcher : IDisposable
{
    readonly int _epoll;
    readonly ConcurrentDictionary<int, TaskCompletionSource> _waiting = new();
    readonly Thread _thread;
    readonly ILogger<ProcessExitWatcher> _logger;

    public ProcessExitWatcher(ILogger<ProcessExitWatcher> logger)
    {
        _logger = logger;
        _epoll = epoll_create1(EpollCloexec);
        if (_epoll < 0)
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        _thread = new Thread(Loop) { IsBackground = true, Name = "heroproc-exit-watcher" };
        _thread.Start();
    }

    /// <summary>
    /// Completes when the process with this identity has exited (at once when it is already gone). Once the
    /// watcher is disposed (the server is stopping), it never completes: a process nobody watches any more
    /// must not be taken for exited.
    /// </summary>
    public Task WaitForExitAsync(int pid, long startTime)
    {
        if (_disposed)
            return new TaskCompletionSource().Task;
        var fd = pidfd_open(pid, 0);
        if (fd < 0)
            return Task.CompletedTask;
        // The pid could have been reused between the caller's check and pidfd_open: check again, now pinned.
        if (!Native.IsAlive(pid, startTime))
        {
            close(fd);
            return Task.CompletedTask;
        }
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[fd] = exited;
        _logger.LogDebug("Watching process {Pid} through pidfd {Fd}", pid, fd);
        Span<byte> ev = stackalloc byte[EventSize];
        ev.Clear();
        MemoryMarshal.Write(ev, EpollIn);
        MemoryMarshal.Write(ev[DataOffset..], (ulong)fd);
        if (epoll_ctl(_epoll, EpollCtlAdd, fd, ref MemoryMarshal.GetReference(ev)) < 0)
        {
            _waiting.TryRemove(fd, out _);
            close(fd);
            return _disposed ? new TaskCompletionSource().Task : Task.CompletedTask;
        }
        return exited.Task;
    }

    void Loop()
    {
        const int max = 64;
        var events = new byte[EventSize * max];
        while (true)
        {
            var count = epoll_wait(_epoll, ref events[0], max, -1);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                    continue;
                return;
            }
            for (var i = 0; i < count; i++)
            {
                var fd = (int)MemoryMarshal.Read<ulong>(events.AsSpan(i * EventSize + DataOffset));
                var none = 0;
                epoll_ctl(_epoll, EpollCtlDel, fd, ref Unsafe.As<int, byte>(ref none));
                // Removed before the close: once closed, the number can be handed to the next pidfd at
                // once, and that process's waiter must not be taken (and completed) for this one.
                var found = _waiting.TryRemove(fd, out var exited);
                close(fd);
                _logger.LogDebug("pidfd {Fd} is readable; a waiter {Found}", fd, found);
                exited?.TrySetResult();
            }
        }
    }

    volatile bool _disposed;

    public void Dispose()
    {
        _disposed = true;
        close(_epoll);
    }

    // struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16 bytes).
    static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    const uint EpollIn = 0x001;
    const int EpollCtlAdd = 1, EpollCtlDel = 2, EpollCloexec = 0x80000, EIntr = 4;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pidfd_open(int pid, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, ref byte ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, ref byte events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
