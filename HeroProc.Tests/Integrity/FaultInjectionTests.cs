using System.Net;
using Dapper;
using HeroProc.Api.Services;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Integrity;

/// <summary>
/// A SQLite trigger makes one chosen insert fail half-way through a multi-row write: the write must
/// leave nothing behind, and a redefine must leave the previous definition whole.
/// </summary>
public class FaultInjectionTests
{
    static Task AddFaultAsync(HeroProcApp app, string table, string name) =>
        app.Db.InTransactionAsync(tx => tx.Connection!.ExecuteAsync(
            $"""
            CREATE TRIGGER inject_fault_{table} BEFORE INSERT ON {table} WHEN NEW.name = '{name}'
            BEGIN SELECT RAISE(ABORT, 'injected fault'); END
            """, transaction: tx));

    [Fact]
    public async Task Submit_failing_on_the_fourth_job_leaves_no_run_no_jobs_and_no_events()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await AddFaultAsync(app, "jobs", "boom");
        var before = probe.RowCounts();
        var run = new { jobs = new[] { Specs.Job("one"), Specs.Job("two"), Specs.Job("three"), Specs.Job("boom"), Specs.Job("five") } };

        var response = await client.PostJsonAsync("/api/runs", run);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.Contains("nothing was written", ProblemAssert.Text(problem));
        Assert.Equal(before, probe.RowCounts());
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM runs"));
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM jobs"));
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM job_events"));
    }

    [Fact]
    public async Task Define_failing_on_the_second_action_leaves_no_service()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await AddFaultAsync(app, "actions", "web.b");

        var response = await client.PutJsonAsync("/api/services/web", Specs.Service("a", "b", "c"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM services"));
        Assert.Equal(0, probe.Scalar<long>("SELECT COUNT(*) FROM actions"));
        await (await client.GetAsync("/api/services/web")).ExpectAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Redefine_failing_on_the_second_action_leaves_the_previous_definition_whole()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("x", "y"))).ExpectAsync(HttpStatusCode.Created);
        var original = await (await client.GetAsync("/api/services/web")).Content.ReadAsStringAsync();
        await AddFaultAsync(app, "actions", "web.b");

        var response = await client.PutJsonAsync("/api/services/web", Specs.Service("a", "b", "c"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal(original, await (await client.GetAsync("/api/services/web")).Content.ReadAsStringAsync());
        var service = await (await client.GetAsync("/api/services/web")).ReadAsync<ServiceResponse>();
        Assert.Equal(["x", "y"], service.Actions.Select(a => a.Name));
        Assert.Equal(["web.x", "web.y"], probe.Query<string>("SELECT name FROM actions ORDER BY name"));
        Assert.Empty(probe.Violations());
    }
}
