using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Data;

/// <summary>Which jobs a scheduler pass claims, on a real SQLite file: runs looked up page by page, each to its free slots.</summary>
public sealed class ClaimTests : IAsyncLifetime
{
    readonly TempDatabase _file = new();
    readonly Db _db;

    public ClaimTests() => _db = _file.Db;

    public Task InitializeAsync() => _db.MigrateAsync();

    public Task DisposeAsync()
    {
        _file.Dispose();
        return Task.CompletedTask;
    }

    // More runs than one page of the run lookup (64).
    const int Runs = 70;

    [Fact]
    public async Task Each_run_gives_its_free_slots_oldest_first_and_a_full_run_none()
    {
        var runIds = new List<long>();
        for (var i = 0; i < Runs; i++)
            runIds.Add(await InsertRunAsync(maxParallel: 1, Job("a"), Job("b")));

        var first = await ClaimAsync(capacity: 1000);
        var again = await ClaimAsync(capacity: 1000);

        Assert.Equal(runIds, first.Select(j => j.RunId));
        Assert.All(first, job => Assert.Equal("a", job.Name));
        Assert.Empty(again);
        // The boot is recorded with the claim: after a reboot, recovery must not trust the attempt's unsynced files.
        var claimed = await _db.ReadAsync(tx => JobRepository.GetAsync(tx, first[0].Id));
        Assert.Equal((JobStatus.Starting, "test-boot"), (claimed!.Status, claimed.BootId));
    }

    [Fact]
    public async Task A_full_run_is_skipped_on_its_counters_so_a_later_run_gets_the_slot()
    {
        var full = await InsertRunAsync(maxParallel: 5, [.. Enumerable.Range(0, 15).Select(i => Job($"f{i}"))]);
        Assert.Equal(5, (await ClaimAsync(capacity: 5)).Count);  // the full run's 5 slots are taken
        var later = await InsertRunAsync(maxParallel: null, Job("l"));

        var claimed = await ClaimAsync(capacity: 1);

        Assert.Equal([(later, "l")], claimed.Select(j => (j.RunId, j.Name)));
        Assert.NotEqual(full, later);
    }

    [Fact]
    public async Task Runs_whose_pending_jobs_wait_on_dependencies_do_not_hide_a_later_ready_job()
    {
        for (var i = 0; i < Runs; i++)
            await InsertRunAsync(maxParallel: null, Job("a"), Job("b", dependsOn: "a"));
        Assert.Equal(Runs, (await ClaimAsync(capacity: 1000)).Count);  // every "a" is starting; every "b" waits on it
        var later = await InsertRunAsync(maxParallel: null, Job("c"));

        var claimed = await ClaimAsync(capacity: 10);

        Assert.Equal([(later, "c")], claimed.Select(j => (j.RunId, j.Name)));
    }

    Task<long> InsertRunAsync(int? maxParallel, params JobRow[] jobs) =>
        _db.InTransactionAsync(tx => RunRepository.InsertAsync(tx, new RunRow { Status = RunStatus.Pending, MaxParallel = maxParallel }, jobs, DateTimeOffset.UtcNow));

    static JobRow Job(string name, string? dependsOn = null) => new()
    {
        Name = name, SpecJson = "{}", Status = JobStatus.Pending, DependsOnJson = dependsOn is null ? "[]" : $"[\"{dependsOn}\"]",
    };

    async Task<IReadOnlyList<JobStateRepository.ClaimedJob>> ClaimAsync(int capacity) =>
        (await _db.InTransactionAsync(tx => JobStateRepository.ClaimReadyAsync(tx, capacity, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "test-boot"))).Jobs;
}
