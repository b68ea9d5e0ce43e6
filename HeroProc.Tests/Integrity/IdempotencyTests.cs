using System.Net;
using HeroProc.Api.Runs;
using HeroProc.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace HeroProc.Tests.Integrity;

public class IdempotencyTests
{
    static HttpRequestMessage Submit(string key, string body) => new(HttpMethod.Post, "/api/runs")
    {
        Headers = { { "Idempotency-Key", key } },
        Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
    };

    const string Body = """{ "name": "ci", "jobs": [ { "name": "a", "script": "true" }, { "name": "b", "script": "true", "dependsOn": ["a"] } ], "env": { "X": "1", "Y": "2" } }""";

    [Fact]
    public async Task Twenty_racing_submits_with_one_key_create_one_run_and_all_return_its_id()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.SendAsync(Submit("nightly-42", Body))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.ReadAsync<RunResponse>()).Id));
        Assert.Single(ids.Distinct());
        Assert.Equal(1, probe.Scalar<long>("SELECT COUNT(*) FROM runs"));
        Assert.Equal(2, probe.Scalar<long>("SELECT COUNT(*) FROM jobs"));
    }

    [Fact]
    public async Task A_repeat_is_compared_as_parsed_json_so_key_order_and_spacing_do_not_matter()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var first = await (await client.SendAsync(Submit("k1", Body))).ExpectAsync<RunResponse>(HttpStatusCode.Created);
        const string reordered = """{"env":{"Y":"2","X":"1"},"jobs":[{"script":"true","name":"a"},{"dependsOn":["a"],"script":"true","name":"b"}],"name":"ci"}""";

        var repeat = await (await client.SendAsync(Submit("k1", reordered))).ExpectAsync<RunResponse>(HttpStatusCode.OK);

        Assert.Equal(first.Id, repeat.Id);
        Assert.Equal(first.Jobs.Select(j => j.Id), repeat.Jobs.Select(j => j.Id));
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_422_and_writes_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.SendAsync(Submit("k1", Body))).ExpectAsync(HttpStatusCode.Created);
        var before = probe.RowCounts();

        var response = await client.SendAsync(Submit("k1", Body.Replace("\"ci\"", "\"cd\"")));

        var problem = await ProblemAssert.IsProblemAsync(response, (HttpStatusCode)422);
        Assert.Contains("k1", ProblemAssert.Text(problem));
        Assert.Equal(before, probe.RowCounts());
    }

    [Fact]
    public async Task A_key_is_kept_for_24_hours_then_forgotten()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        await using var app = new HeroProcApp(clock, paused: true);
        var client = app.Client();
        var first = await (await client.SendAsync(Submit("k1", Body))).ExpectAsync<RunResponse>(HttpStatusCode.Created);

        clock.Advance(TimeSpan.FromHours(23.9));
        var within = await (await client.SendAsync(Submit("k1", Body))).ExpectAsync<RunResponse>(HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromHours(0.2));
        var after = await (await client.SendAsync(Submit("k1", Body))).ExpectAsync<RunResponse>(HttpStatusCode.Created);

        Assert.Equal(first.Id, within.Id);
        Assert.NotEqual(first.Id, after.Id);
    }
}
