using System.Collections.Concurrent;
using System.Net;
using Dapper;
using HeroProc.Api.Http;
using HeroProc.Api.Runs;
using HeroProc.Api.Services;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Integrity;

/// <summary>Concurrency is the normal case: racing clients never see or leave a half-written state.</summary>
public class RaceTests
{
    [Fact]
    public async Task Fifty_parallel_submits_racing_deletes_redefines_and_lists_keep_every_run_whole()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.PutJsonAsync("/api/services/web", Specs.Service("a", "b"))).ExpectAsync(HttpStatusCode.Created);
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var created = new ConcurrentBag<RunResponse>();
        var deleted = new ConcurrentBag<long>();

        var submits = Enumerable.Range(0, 50).Select(async i =>
        {
            var response = await client.PostJsonAsync("/api/runs", Specs.Run(10, $"r{i}-"));
            if (response.StatusCode != HttpStatusCode.Created)
                failures.Enqueue($"submit {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            else
                created.Add(await response.ReadAsync<RunResponse>());
        }).ToList();
        var background = new[]
        {
            Loop(stop.Token, async () =>
            {
                // Finish the newest run (the engine does not exist yet), then delete it through the API.
                var id = await app.Db.InTransactionAsync(tx => tx.Connection!.ExecuteScalarAsync<long?>(
                    "UPDATE runs SET status = 'succeeded', finished_at = @now WHERE id = (SELECT MAX(id) FROM runs WHERE status = 'pending') RETURNING id",
                    new { now = DateTimeOffset.UtcNow }, tx));
                if (id is null) return;
                var response = await client.DeleteAsync($"/api/runs/{id}");
                if (response.StatusCode != HttpStatusCode.NoContent)
                    failures.Enqueue($"delete {id}: {(int)response.StatusCode}");
                else
                    deleted.Add(id.Value);
            }),
            Loop(stop.Token, async () =>
            {
                var response = await client.PutJsonAsync("/api/services/web", Specs.Service("a", "b", Guid.NewGuid().ToString("N")[..8]));
                if (response.StatusCode != HttpStatusCode.OK)
                    failures.Enqueue($"redefine: {(int)response.StatusCode}");
            }),
            Loop(stop.Token, async () =>
            {
                var page = await (await client.GetAsync("/api/runs?limit=500")).ReadAsync<Page<RunSummary>>();
                foreach (var run in page.Items.Where(r => r.JobCounts.Values.Sum() != 10))
                    failures.Enqueue($"list showed run {run.Id} with {run.JobCounts.Values.Sum()} jobs");
            }),
            Loop(stop.Token, () =>
            {
                foreach (var violation in probe.Violations())
                    failures.Enqueue("during the race: " + violation);
                return Task.CompletedTask;
            }),
        };

        await Task.WhenAll(submits);
        await Eventually.TrueAsync(() => deleted.Count >= 3, "the deleter removed runs while the others raced");
        await stop.CancelAsync();
        await Task.WhenAll(background);

        Assert.Empty(failures);
        Assert.Equal(50, created.Count);
        Assert.All(created, run => Assert.Equal(10, run.Jobs.Count));
        var remaining = probe.Query<long>("SELECT id FROM runs").ToHashSet();
        Assert.Equal(created.Select(r => r.Id).Except(deleted).Order(), remaining.Order());
        foreach (var id in remaining)
            Assert.Equal(10, probe.Scalar<long>("SELECT COUNT(*) FROM jobs WHERE run_id = @id", new { id }));
        Assert.Empty(probe.Violations());
    }

    [Fact]
    public async Task Readers_racing_a_redefine_see_one_whole_definition_or_the_other()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var first = new { description = "first", actions = new[] { "a1", "a2", "a3" }.Select(n => new { name = n, script = "echo first" }) };
        var second = new { description = "second", actions = new[] { "b1", "b2", "b3" }.Select(n => new { name = n, script = "echo second" }) };
        await (await client.PutJsonAsync("/api/services/web", first)).ExpectAsync(HttpStatusCode.Created);
        var seen = new ConcurrentDictionary<string, int>();
        var torn = new ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();

        var readers = Enumerable.Range(0, 4).Select(_ => Loop(done.Token, async () =>
        {
            var service = await (await client.GetAsync("/api/services/web")).ReadAsync<ServiceResponse>();
            var shape = $"{service.Description}: {string.Join(",", service.Actions.Select(a => $"{a.Name}={a.Script}"))}";
            seen.AddOrUpdate(shape, 1, (_, n) => n + 1);
            if (shape != "first: a1=echo first,a2=echo first,a3=echo first" && shape != "second: b1=echo second,b2=echo second,b3=echo second")
                torn.Enqueue(shape);
        })).ToList();
        for (var i = 0; i < 60; i++)
            await (await client.PutJsonAsync("/api/services/web", i % 2 == 0 ? second : first)).ExpectAsync(HttpStatusCode.OK);
        await done.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Empty(torn);
        Assert.Equal(2, seen.Count);
    }

    /// <summary>Runs <paramref name="step"/> until cancelled, at least once.</summary>
    static Task Loop(CancellationToken stop, Func<Task> step) => Task.Run(async () =>
    {
        do
        {
            await step();
        } while (!stop.IsCancellationRequested);
    });
}
