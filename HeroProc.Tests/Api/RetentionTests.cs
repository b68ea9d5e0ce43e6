using System.Net;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace HeroProc.Tests.Api;

public class RetentionTests
{
    [Fact(Timeout = 60_000)]
    public async Task Finished_runs_older_than_the_retention_period_are_deleted_with_their_jobs_and_logs()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        await using var app = new HeroProcApp(clock, paused: true, settings: new Dictionary<string, string> { ["HeroProc:Retention:Days"] = "30" });
        var client = app.Client();
        var old = await client.SubmitIdAsync(Specs.Run(2));
        var recent = await client.SubmitIdAsync(Specs.Run(2));
        var unfinished = await client.SubmitIdAsync(Specs.Run(1));
        await app.FinishRunAsync(old, "failed", "2026-10-20T10:00:00.000Z");
        await app.FinishRunAsync(recent, "succeeded", "2026-11-27T10:00:00.000Z");
        var probe = new DatabaseProbe(app.DatabasePath);

        clock.Advance(TimeSpan.FromHours(1));
        await Eventually.TrueAsync(() => probe.Scalar<long>("SELECT COUNT(*) FROM runs WHERE id = @old", new { old }) == 0,
            "the hourly retention pass deleted the old run");

        Assert.Equal([recent, unfinished], probe.Query<long>("SELECT id FROM runs ORDER BY id"));
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM jobs WHERE run_id = @old", new { old }));
        await (await client.GetAsync($"/api/runs/{old}")).ExpectAsync(HttpStatusCode.NotFound);
        Assert.Empty(probe.Violations());
    }
}
