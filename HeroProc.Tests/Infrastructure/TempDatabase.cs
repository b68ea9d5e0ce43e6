using HeroProc.Data;

namespace HeroProc.Tests.Infrastructure;

/// <summary>A <see cref="HeroProc.Data.Db"/> on a SQLite file in a temporary directory, deleted with it.</summary>
public sealed class TempDatabase : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("heroproc-db-").FullName;

    public TempDatabase() => Db = new Db(Path.Combine(_dir, "heroproc.db"));

    public Db Db { get; }

    public void Dispose()
    {
        Db.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
