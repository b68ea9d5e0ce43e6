using System.Data;
using Microsoft.Data.Sqlite;

namespace HeroProc.Data;

/// <summary>
/// Group commit for <see cref="Db.InTransactionAsync{T}"/>. SQLite has one writer at a time; units of
/// work one by one would each pay a transaction's fixed costs while every other writer queues behind it.
/// Instead, the units that queued while a transaction ran go together into the next one, each inside a
/// savepoint of its own: a unit that throws is rolled back to its savepoint alone, and the others commit
/// together. Each caller still gets its own result or exception, only after the commit (and, if the unit
/// asked for it, once the commit is on disk: WalSync, which also shares one disk sync among many commits),
/// so a unit stays all-or-nothing.
/// </summary>
sealed class GroupCommit(Db db) : IDisposable
{
    /// <summary>A bound on one transaction's units, so the first in a long queue does not wait for all of them.</summary>
    const int MaxUnits = 64;

    /// <param name="Context">The caller's: the unit runs on the writer's flow, but with its own caller's logging scope and the like.</param>
    sealed record Unit(Func<IDbTransaction, Task<object?>> Work, bool Durable, CancellationToken Ct, ExecutionContext? Context)
    {
        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<object?> StartAsync(IDbTransaction transaction)
        {
            if (Context is null)
                return Work(transaction);
            Task<object?>? started = null;
            ExecutionContext.Run(Context, _ => started = Work(transaction), null);
            return started!;
        }
    }

    readonly Lock _lock = new();
    readonly Queue<Unit> _queue = new();
    readonly WalSync _sync = new();
    bool _writing;

    // The writer's own connection, kept open with its compiled statements (CachingConnection); only the
    // current writer touches it. Replaced after a failed batch, in case the failure left it in a bad state.
    CachingConnection? _writer;

    /// <summary>The disk syncs that made durable commits durable so far (Db.DiskSyncs).</summary>
    public long DiskSyncs => _sync.Syncs;

    public async Task<object?> RunAsync(Func<IDbTransaction, Task<object?>> work, bool durable, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var unit = new Unit(work, durable, ct, ExecutionContext.Capture());
        bool lead;
        lock (_lock)
        {
            _queue.Enqueue(unit);
            lead = !_writing;
            _writing = true;
        }
        // The caller that finds no writer becomes it: no thread hop when writes do not overlap.
        if (lead)
            await WriteAsync(unit);
        return await unit.Done.Task;
    }

    /// <summary>Writes batches until <paramref name="own"/> is done, then hands the queue to a new writer, if any.</summary>
    async Task WriteAsync(Unit? own)
    {
        while (true)
        {
            List<Unit> batch = [];
            lock (_lock)
            {
                if (_queue.Count == 0 || own is { Done.Task.IsCompleted: true })
                {
                    _writing = _queue.Count > 0;
                    if (_writing)
                        _ = Task.Run(() => WriteAsync(null));
                    return;
                }
                while (batch.Count < MaxUnits && _queue.TryDequeue(out var next))
                    batch.Add(next);
            }
            await CommitAsync(batch);
        }
    }

    async Task CommitAsync(List<Unit> batch)
    {
        var results = new List<(Unit Unit, object? Result)>();
        var afterCommit = new List<Action>();
        try
        {
            if (_writer is null)
            {
                _writer = new CachingConnection(await db.OpenAsync(CancellationToken.None));
                // Commits do not wait for the disk under the write lock: the units that must be durable wait for WalSync.
                Execute(_writer, "PRAGMA synchronous=NORMAL");
                _sync.Track(SQLitePCL.raw.sqlite3_db_filename(_writer.Inner.Handle, "main").utf8_to_string());
            }
            var connection = _writer.Inner;
            // Begun and committed by kept statements (a SqliteTransaction compiles both anew each time), so no
            // command names a transaction: Microsoft.Data.Sqlite allows that while it has none of its own.
            Execute(_writer, "BEGIN IMMEDIATE");
            var transaction = new CachingTransaction(_writer, null, afterCommit);
            foreach (var unit in batch)
            {
                if (unit.Ct.IsCancellationRequested)
                {
                    unit.Done.TrySetCanceled(unit.Ct);
                    continue;
                }
                if (batch.Count == 1)
                {
                    // Alone in its transaction: a throw rolls the whole transaction back, no savepoint needed.
                    results.Add((unit, await unit.StartAsync(transaction)));
                    continue;
                }
                Execute(_writer, "SAVEPOINT unit");
                var actionsBefore = afterCommit.Count;
                try
                {
                    results.Add((unit, await unit.StartAsync(transaction)));
                    Execute(_writer, "RELEASE unit");
                }
                catch (Exception e)
                {
                    // Some errors (a full disk, I/O) end the whole transaction in SQLite: then nothing of
                    // the batch can commit, and every unit must hear it.
                    if (!InTransaction(connection))
                        throw;
                    Execute(_writer, "ROLLBACK TO unit; RELEASE unit");
                    afterCommit.RemoveRange(actionsBefore, afterCommit.Count - actionsBefore);
                    unit.Done.TrySetException(e);
                }
            }
            Execute(_writer, "COMMIT");
        }
        catch (Exception e)
        {
            // Nothing of the batch commits; the connection is replaced, in case the failure left it in a bad state.
            if (_writer is not null)
            {
                try
                {
                    if (InTransaction(_writer.Inner))
                        Execute(_writer, "ROLLBACK");
                }
                catch (SqliteException) { }
                // Microsoft.Data.Sqlite does not know of the transaction it began: a handle still in it must not go back to its pool.
                if (InTransaction(_writer.Inner))
                    SqliteConnection.ClearPool(_writer.Inner);
            }
            _writer?.Dispose();
            _writer = null;
            foreach (var unit in batch)
                unit.Done.TrySetException(e);
            return;
        }
        // In commit order, before the next transaction and before any unit's caller resumes (Db.OnCommit).
        foreach (var action in afterCommit)
        {
            try { action(); }
            catch (Exception) { }  // committed all the same; an action reports its own failures, and must not stop the writer
        }
        foreach (var (unit, result) in results)
        {
            if (unit.Durable && db.Durability == Durability.Full)
                _sync.CompleteWhenDurable(unit.Done, result);
            else
                unit.Done.TrySetResult(result);
        }
    }

    /// <summary>Closes the writer's connection; left to the process's end if a write is under way.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_writing)
                return;
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <summary>Runs one of the batch's own statements (pragma, savepoints), compiled once and kept like the units' own.</summary>
    static void Execute(CachingConnection writer, string sql)
    {
        var (command, columns) = writer.Command(sql);
        command.Parameters.Clear();
        try { command.ExecuteNonQuery(); }
        finally { if (columns is null) command.Dispose(); }
    }

    static bool InTransaction(SqliteConnection connection) => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0;
}
