using Dapper;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Data;

/// <summary>The data layer on a real SQLite file.</summary>
public sealed class DbTests : IDisposable
{
    readonly TempDatabase _file = new();
    readonly Db _db;

    public DbTests() => _db = _file.Db;

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task Migrations_set_user_version_and_are_safe_to_run_again()
    {
        await _db.MigrateAsync();
        await _db.InTransactionAsync(tx => tx.Connection!.ExecuteAsync(
            "INSERT INTO secrets (name, value_cipher, created_at, updated_at) VALUES ('K', 'x', 'now', 'now')", transaction: tx));

        await _db.MigrateAsync();

        var version = await _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>("PRAGMA user_version", transaction: tx));
        Assert.Equal(Migrations.LatestVersion, version);
        Assert.Equal(1, await _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM secrets", transaction: tx)));
    }

    [Fact]
    public async Task Connections_use_wal_foreign_keys_and_full_sync()
    {
        await _db.MigrateAsync();

        await using var connection = await _db.OpenAsync();

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("PRAGMA foreign_keys"));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("PRAGMA synchronous"));
        Assert.True(await connection.ExecuteScalarAsync<int>("PRAGMA busy_timeout") > 0);
    }

    [Fact]
    public async Task A_unit_of_work_that_throws_is_rolled_back_whole()
    {
        await _db.MigrateAsync();
        var now = DateTimeOffset.UtcNow;

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => _db.InTransactionAsync(async tx =>
        {
            await RunRepository.InsertAsync(tx, new RunRow { Status = RunStatus.Pending },
                [new JobRow { Name = "a", SpecJson = "{}", Status = JobStatus.Pending }], now);
            throw new InvalidOperationException("fails after the insert");
        }));

        Assert.Equal("fails after the insert", failure.Message);
        Assert.Equal(0, await _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM runs", transaction: tx)));
        Assert.Equal(0, await _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM jobs", transaction: tx)));
    }

    [Fact]
    public async Task Times_and_statuses_are_stored_as_utc_text_and_wire_names()
    {
        await _db.MigrateAsync();
        var local = new DateTimeOffset(2026, 11, 28, 12, 15, 30, 123, TimeSpan.FromHours(2));

        var runId = await _db.InTransactionAsync(tx => RunRepository.InsertAsync(tx, new RunRow { Status = RunStatus.Pending },
            [new JobRow { Name = "a", SpecJson = "{}", Status = JobStatus.TimedOut }], local));

        var stored = await _db.ReadAsync(tx => tx.Connection!.QuerySingleAsync<(string Status, string CreatedAt)>(
            "SELECT status, created_at FROM jobs WHERE run_id = @runId", new { runId }, tx));
        Assert.Equal(("timed_out", "2026-11-28T10:15:30.123Z"), stored);
        var job = (await _db.ReadAsync(tx => JobRepository.ListByRunAsync(tx, runId)))[0];
        Assert.Equal(JobStatus.TimedOut, job.Status);
        Assert.Equal(local, job.CreatedAt);
        Assert.Equal(TimeSpan.Zero, job.CreatedAt.Offset);
    }

    [Fact]
    public async Task Deleting_a_run_cascades_to_its_jobs_events_and_idempotency_keys()
    {
        await _db.MigrateAsync();
        var now = DateTimeOffset.UtcNow;
        var runId = await _db.InTransactionAsync(async tx =>
        {
            var id = await RunRepository.InsertAsync(tx, new RunRow { Status = RunStatus.Succeeded },
                [new JobRow { Name = "a", SpecJson = "{}" }, new JobRow { Name = "b", SpecJson = "{}" }], now);
            await IdempotencyRepository.InsertAsync(tx, "key", "hash", id, now);
            return id;
        });

        var deleted = await _db.InTransactionAsync(tx => RunRepository.DeleteFinishedAsync(tx, runId));

        Assert.True(deleted);
        foreach (var table in new[] { "runs", "jobs", "job_events", "idempotency_keys" })
            Assert.Equal(0, await _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {table}", transaction: tx)));
    }

    [Fact]
    public async Task Concurrent_write_transactions_serialize_without_busy_errors()
    {
        await _db.MigrateAsync();
        var now = DateTimeOffset.UtcNow;

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => _db.InTransactionAsync(tx =>
            RunRepository.InsertAsync(tx, new RunRow { Status = RunStatus.Pending },
                [new JobRow { Name = $"j{i}", SpecJson = "{}" }], now)))));

        Assert.Equal(40, await _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM jobs", transaction: tx)));
    }

    [Fact]
    public async Task Units_queued_behind_a_write_share_its_successor_s_commit_and_one_that_throws_leaves_nothing()
    {
        await _db.MigrateAsync();
        var gate = new TaskCompletionSource();
        // The first unit holds the writer while the others queue, so they meet in the next transaction.
        var first = _db.InTransactionAsync(async tx =>
        {
            await Insert(tx, "first");
            await gate.Task;
        });
        var units = Enumerable.Range(0, 30).Select(i => _db.InTransactionAsync(async tx =>
        {
            await Insert(tx, $"unit{i}");
            if (i % 3 == 0)
                throw new InvalidOperationException($"unit{i} fails after its insert");
            var seenInside = await tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM secrets", transaction: tx);
            // Another connection sees committed rows only.
            var committed = await _db.ReadAsync(read => read.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM secrets", transaction: read));
            return (seenInside, committed);
        })).ToList();
        gate.SetResult();
        await first;

        var outcomes = new List<(int SeenInside, int Committed)>();
        for (var i = 0; i < units.Count; i++)
        {
            if (i % 3 == 0)
                Assert.Equal($"unit{i} fails after its insert", (await Assert.ThrowsAsync<InvalidOperationException>(() => units[i])).Message);
            else
                outcomes.Add(await units[i]);
        }
        var names = (await _db.ReadAsync(tx => tx.Connection!.QueryAsync<string>("SELECT name FROM secrets", transaction: tx))).ToHashSet();
        Assert.Equal(["first", .. Enumerable.Range(0, 30).Where(i => i % 3 != 0).Select(i => $"unit{i}")], names.OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal));
        // Shared transactions: some unit saw rows of the others that were not committed yet.
        Assert.Contains(outcomes, o => o.SeenInside > o.Committed);

        static Task Insert(System.Data.IDbTransaction tx, string name) => tx.Connection!.ExecuteAsync(
            "INSERT INTO secrets (name, value_cipher, created_at, updated_at) VALUES (@name, 'x', 'now', 'now')", new { name }, tx);
    }

    [Fact]
    public async Task A_durable_write_returns_after_a_disk_sync_that_followed_its_commit_and_one_marked_not_durable_without_any()
    {
        await _db.MigrateAsync();
        static Task<int> Synchronous(System.Data.IDbTransaction tx) => tx.Connection!.ExecuteScalarAsync<int>("PRAGMA synchronous", transaction: tx);

        // The commit itself never waits for the disk under the write lock (NORMAL); the sync follows it.
        var before = _db.DiskSyncs;
        Assert.Equal(1, await _db.InTransactionAsync(Synchronous, durable: false));
        Assert.Equal(before, _db.DiskSyncs);
        Assert.Equal(1, await _db.InTransactionAsync(Synchronous));
        Assert.Equal(before + 1, _db.DiskSyncs);

        // Durable writes queued together share syncs: 20 of them need far fewer than 20.
        before = _db.DiskSyncs;
        var gate = new TaskCompletionSource();
        var first = _db.InTransactionAsync(async _ => await gate.Task);
        var durable = Enumerable.Range(0, 20).Select(_ => _db.InTransactionAsync(Synchronous)).ToList();
        gate.SetResult();
        await Task.WhenAll(durable.Append(first));
        Assert.InRange(_db.DiskSyncs - before, 1, 3);
    }

    [Fact]
    public async Task Actions_on_commit_run_after_the_commit_in_commit_order_and_never_for_a_unit_rolled_back()
    {
        await _db.MigrateAsync();
        var ran = new System.Collections.Concurrent.ConcurrentQueue<(string Name, int CommittedThen)>();
        int Committed() => _db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM secrets", transaction: tx)).GetAwaiter().GetResult();
        Task Unit(string name, bool fails = false, Task? holdOn = null) => _db.InTransactionAsync(async tx =>
        {
            await tx.Connection!.ExecuteAsync("INSERT INTO secrets (name, value_cipher, created_at, updated_at) VALUES (@name, 'x', 'now', 'now')", new { name }, tx);
            Db.OnCommit(tx, () => ran.Enqueue((name, Committed())));
            if (holdOn is not null)
                await holdOn;
            if (fails)
                throw new InvalidOperationException($"{name} fails");
        });

        // The first unit holds the writer, so the next ones share one transaction, each in its savepoint.
        var gate = new TaskCompletionSource();
        var first = Unit("first", holdOn: gate.Task);
        var queued = new[] { Unit("a"), Unit("b", fails: true), Unit("c") };
        Assert.Empty(ran);  // nothing has committed yet
        gate.SetResult();
        await first;
        await Assert.ThrowsAsync<InvalidOperationException>(() => queued[1]);
        await Task.WhenAll(queued[0], queued[2]);

        // Each action saw its own unit's row committed; the rolled-back unit's action never ran.
        Assert.Equal([("first", 1), ("a", 3), ("c", 3)], ran.ToArray());
        await Assert.ThrowsAsync<InvalidOperationException>(() => _db.ReadAsync(tx => { Db.OnCommit(tx, () => { }); return Task.FromResult(0); }));
    }

    static readonly AsyncLocal<string> Caller = new();

    [Fact]
    public async Task A_unit_run_in_another_caller_s_transaction_still_sees_its_own_caller_s_context()
    {
        await _db.MigrateAsync();
        var gate = new TaskCompletionSource();
        Caller.Value = "first";
        var first = _db.InTransactionAsync(async _ => { await gate.Task; return Caller.Value; });
        var others = Enumerable.Range(0, 5).Select(i => Task.Run(() =>
        {
            Caller.Value = $"caller {i}";
            return _db.InTransactionAsync(_ => Task.FromResult(Caller.Value));
        })).ToList();
        await Task.Delay(100);  // let them queue behind the first (if they do not, the test still holds)
        gate.SetResult();

        Assert.Equal("first", await first);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"caller {i}"), await Task.WhenAll(others));
    }
}
