using System.Data;
using Microsoft.Data.Sqlite;

namespace HeroProc.Data;

/// <summary>How hard a commit tries to reach the disk before a 2xx is answered.</summary>
public enum Durability
{
    /// <summary>SQLite <c>synchronous=FULL</c>: a committed write survives power loss.</summary>
    Full,
    /// <summary>SQLite <c>synchronous=NORMAL</c>: faster; the last commits may be lost on power loss.</summary>
    Normal,
}

/// <summary>
/// The connection factory and the one place where units of work begin, commit and roll back.
/// Every SQLite-specific pragma lives here so that another provider is an addition, not a rewrite.
/// </summary>
public sealed class Db : IDisposable
{
    const int BusyTimeoutMs = 10_000;

    readonly string _connectionString;
    readonly string _pragmas;

    // SQLite admits one writer at a time, and with synchronous=FULL every commit waits for the disk.
    // Writers queue here (instead of spinning in SQLite's busy handler, which sleeps up to 100 ms between
    // tries), and the units of work that queued while a commit was under way share the next one
    // (GroupCommit). busy_timeout still covers writers in other processes.
    readonly GroupCommit _writes;

    static Db() => DapperTypeHandlers.Register();

    public Db(string databasePath, Durability durability = Durability.Full)
    {
        DatabasePath = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
        Durability = durability;
        var synchronous = durability == Durability.Full ? "FULL" : "NORMAL";
        _pragmas = $"PRAGMA foreign_keys=ON; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA synchronous={synchronous};";
        _writes = new GroupCommit(this);
    }

    public string DatabasePath { get; }

    // Readers keep their connections as the writer does, each with its compiled statements (CachingConnection):
    // a job's row, read by the change publisher on every change, cost 34 µs compiled anew each time against 9 µs.
    // As many are kept as readers commonly run at once; a burst beyond opens more, closed after use.
    const int MaxKeptReaders = 8;
    readonly System.Collections.Concurrent.ConcurrentBag<CachingConnection> _readers = [];
    volatile bool _disposed;

    /// <summary>Closes the writer's and the readers' kept connections.</summary>
    public void Dispose()
    {
        _disposed = true;
        _writes.Dispose();
        CloseReaders();
    }

    void CloseReaders()
    {
        while (_readers.TryTake(out var reader))
            reader.Dispose();
    }

    /// <summary>
    /// The SQLite handles that have their pragmas. A pooled connection keeps its handle, and the handle
    /// keeps its pragmas: they are set once per handle, not on every unit of work.
    /// </summary>
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _prepared = new();

    /// <summary>Opens a pooled connection with the per-connection pragmas applied.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        if (_prepared.TryGetValue(connection.Handle!, out _))
            return connection;
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(ct);
        _prepared.AddOrUpdate(connection.Handle!, this);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> as one all-or-nothing unit of a write transaction (<c>BEGIN
    /// IMMEDIATE</c>, so two writers never deadlock upgrading a read lock): its writes are committed
    /// when it returns, and none of them when it throws. It returns once the commit is done (durable unless <paramref name="durable"/> is false). Units
    /// queued together share a transaction and its commit, each inside a savepoint of its own (see GroupCommit).
    /// </summary>
    /// <param name="durable">
    /// False for a write a power cut makes moot, which may then skip the disk sync (with <c>Durability.Full</c>):
    /// a job's start and its pid only hold within one boot, and a restarted machine records the jobs that ran as
    /// lost anyway. A durable commit later makes it durable too. Anything acknowledged to a client, or a job's
    /// end (which must not be run again), is durable.
    /// </param>
    public async Task<T> InTransactionAsync<T>(Func<IDbTransaction, Task<T>> work, CancellationToken ct = default, bool durable = true) =>
        (T)(await _writes.RunAsync(async tx => await work(tx), durable, ct))!;

    public Task InTransactionAsync(Func<IDbTransaction, Task> work, CancellationToken ct = default, bool durable = true) =>
        InTransactionAsync(async tx => { await work(tx); return true; }, ct, durable);

    /// <summary>
    /// Runs <paramref name="action"/> once the write transaction <paramref name="tx"/> of a unit of work has
    /// committed, and not at all if the unit rolls back. Actions run on the writer in commit order, each
    /// transaction's before the next one begins, and before the unit's caller resumes: what they send out
    /// (change events) arrives in the order the changes were made. They must be quick and must not throw.
    /// </summary>
    public static void OnCommit(IDbTransaction tx, Action action)
    {
        if (tx is not CachingTransaction { AfterCommit: { } actions })
            throw new InvalidOperationException("Only a unit of work of Db.InTransactionAsync has a commit to wait for.");
        actions.Add(action);
    }

    public Durability Durability { get; }

    /// <summary>The disk syncs that made durable commits durable so far (each may cover many commits).</summary>
    public long DiskSyncs => _writes.DiskSyncs;

    /// <summary>
    /// Runs <paramref name="work"/> in a read transaction: in WAL mode it sees one consistent snapshot,
    /// so a reader never observes half of a concurrent multi-row write.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<IDbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        var connection = _readers.TryTake(out var kept) ? kept : new CachingConnection(await OpenAsync(ct));
        var reusable = false;
        try
        {
            T result;
            await using (var transaction = connection.Inner.BeginTransaction(deferred: true))
            {
                result = await work(new CachingTransaction(connection, transaction));
                await transaction.CommitAsync(CancellationToken.None);
            }
            reusable = true;
            return result;
        }
        finally
        {
            // A connection whose read failed is in an unknown state: it is closed, not kept.
            if (reusable && !_disposed && _readers.Count < MaxKeptReaders)
            {
                _readers.Add(connection);
                if (_disposed)
                    CloseReaders();  // Dispose ran meanwhile, maybe before this one was back
            }
            else
                connection.Dispose();
        }
    }

    /// <summary>Creates the file in WAL mode and applies pending migrations. Safe to call on every start.</summary>
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        await using (var connection = await OpenAsync(ct))
        {
            // journal_mode is persistent and cannot change inside a transaction.
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            // Commits rely on WAL mode: without it, synchronous=NORMAL (GroupCommit) could corrupt the file on power loss.
            var mode = await command.ExecuteScalarAsync(ct) as string;
            if (!"wal".Equals(mode, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite could not put {DatabasePath} in WAL mode (journal_mode is '{mode}')");
        }
        await InTransactionAsync(tx => Migrations.ApplyAsync(tx, ct), ct);
    }

    /// <summary>
    /// Writes a consistent copy of the database to <paramref name="path"/> (<c>VACUUM INTO</c>: one read
    /// snapshot, compacted, without blocking writers for long) and returns its size.
    /// </summary>
    public async Task<long> BackupAsync(string path, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO @path";
        command.Parameters.AddWithValue("@path", path);
        await command.ExecuteNonQueryAsync(ct);
        return new FileInfo(path).Length;
    }

    /// <summary>
    /// A LIMIT (or OFFSET) taken from a parameter, written as an expression: SQLite plans a query with the value of a
    /// bare parameter there, so it compiled the statement anew every time the parameter was bound (three queries of
    /// every scheduler pass, and every page of a list).
    /// </summary>
    internal static string Limit(string parameter) => $"{parameter} + 0";

    /// <summary>Bytes of the database file and its WAL.</summary>
    public long SizeBytes()
    {
        long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        return Size(DatabasePath) + Size(DatabasePath + "-wal");
    }
}
