using System.Net;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

public class BackupTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_backup_is_a_consistent_copy_of_the_database_in_the_backups_directory()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await client.SubmitIdAsync(Specs.Run(3));

        var response = await client.PostAsync("/api/system/backup", null);

        var body = await response.ExpectAsync<JsonElement>(HttpStatusCode.Created);
        var file = body.GetProperty("file").GetString()!;
        Assert.StartsWith(Path.Combine(app.DataDir, "backups"), file);
        Assert.Equal(new FileInfo(file).Length, body.GetProperty("bytes").GetInt64());
        var copy = new DatabaseProbe(file);
        Assert.Equal("ok", copy.Scalar<string>("PRAGMA integrity_check"));
        Assert.Equal(3, copy.Scalar<long>("SELECT COUNT(*) FROM jobs"));
        Assert.Empty(copy.Violations());
    }
}
