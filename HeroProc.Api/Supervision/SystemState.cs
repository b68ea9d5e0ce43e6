using Dapper;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>Whether new jobs may start. Persisted, so a paused server stays paused across a restart.</summary>
public sealed class SystemState(Db db, SchedulerSignal scheduler)
{
    const string PausedKey = "paused";

    public bool Paused { get; private set; }

    /// <summary>True while a wipe stops everything: nothing new may start under it.</summary>
    public bool Wiping { get; set; }

    /// <summary>Whether the scheduler may start oneshot jobs now (services' processes are held only by a wipe).</summary>
    public bool MayStartJobs => !Paused && !Wiping;

    readonly Lock _lock = new();
    int _changes;

    /// <summary>Reads the persisted setting; a pause or resume that lands while it reads wins over what it read.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        int changesBefore;
        lock (_lock)
            changesBefore = _changes;
        var paused = await db.ReadAsync(tx => tx.Connection!.ExecuteScalarAsync<string?>(
            "SELECT value FROM settings WHERE key = @PausedKey", new { PausedKey }, tx), ct) == "true";
        lock (_lock)
        {
            if (_changes == changesBefore)
                Paused = paused;
        }
    }

    public async Task SetPausedAsync(bool paused, CancellationToken ct)
    {
        await db.InTransactionAsync(tx => tx.Connection!.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES (@PausedKey, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            new { PausedKey, value = paused ? "true" : "false" }, tx), ct);
        lock (_lock)
        {
            _changes++;
            Paused = paused;
        }
        if (!paused)
            scheduler.Wake();
    }
}
