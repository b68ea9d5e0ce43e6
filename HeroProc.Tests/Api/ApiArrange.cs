using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

/// <summary>
/// Arranges state the API cannot reach yet (finished runs, schedules, secrets, services wanted
/// started) by writing the server's database through its own <see cref="HeroProc.Data.Db"/>, and
/// reads the API's JSON as a client would.
/// </summary>
static class ApiArrange
{
    public const string LongAgo = "2020-01-01T00:00:00.000Z";

    /// <summary>Ends the run and its jobs in <paramref name="status"/> (succeeded, failed or cancelled).</summary>
    public static Task FinishRunAsync(this HeroProcApp app, long runId, string status = "succeeded", string finishedAt = LongAgo) =>
        app.Db.InTransactionAsync(async tx =>
        {
            await tx.Connection!.ExecuteAsync(
                "UPDATE runs SET status = @status, started_at = @finishedAt, finished_at = @finishedAt WHERE id = @runId",
                new { status, finishedAt, runId }, tx);
            await tx.Connection!.ExecuteAsync(
                "UPDATE jobs SET status = @status, started_at = @finishedAt, finished_at = @finishedAt WHERE run_id = @runId",
                new { status, finishedAt, runId }, tx);
        });

    public static Task ExecuteAsync(this HeroProcApp app, string sql, object? param = null) =>
        app.Db.InTransactionAsync(tx => tx.Connection!.ExecuteAsync(sql, param, tx));

    /// <summary>A schedule whose run names <paramref name="actions"/>, as the schedules API will store it.</summary>
    public static Task InsertScheduleAsync(this HeroProcApp app, string name, params string[] actions) =>
        app.ExecuteAsync(
            """
            INSERT INTO schedules (name, spec_json, enabled, created_at, updated_at)
            VALUES (@name, @spec, 1, @at, @at)
            """, new { name, spec = JsonSerializer.Serialize(new { cron = "0 * * * *", run = new { actions } }), at = LongAgo });

    public static Task InsertSecretAsync(this HeroProcApp app, string name) =>
        app.ExecuteAsync(
            "INSERT INTO secrets (name, value_cipher, created_at, updated_at) VALUES (@name, 'not-a-real-cipher', @at, @at)",
            new { name, at = LongAgo });

    public static Task SetWantedStatusAsync(this HeroProcApp app, string service, string wanted) =>
        app.ExecuteAsync("UPDATE services SET wanted_status = @wanted WHERE name = @service", new { wanted, service });

    /// <summary>Submits a run and returns its body, asserting the 201.</summary>
    public static async Task<JsonElement> SubmitAsync(this HttpClient client, object body) =>
        await (await client.PostJsonAsync("/api/runs", body)).ExpectAsync<JsonElement>(HttpStatusCode.Created);

    public static async Task<long> SubmitIdAsync(this HttpClient client, object body) =>
        (await client.SubmitAsync(body)).GetProperty("id").GetInt64();

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url) =>
        await (await client.GetAsync(url)).ExpectAsync<JsonElement>(HttpStatusCode.OK);

    /// <summary>Every item of a paged list, following nextCursor; also returns how many pages it took.</summary>
    public static async Task<(List<JsonElement> Items, int Pages)> GetAllPagesAsync(this HttpClient client, string url, int limit)
    {
        var items = new List<JsonElement>();
        var pages = 0;
        string? cursor = null;
        var separator = url.Contains('?') ? '&' : '?';
        do
        {
            var page = await client.GetJsonAsync($"{url}{separator}limit={limit}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}");
            var pageItems = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(pageItems.Count <= limit, $"a page holds at most {limit} items");
            items.AddRange(pageItems);
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
            Assert.True(pages <= 1000, "paging does not end");
        } while (cursor is not null);
        return (items, pages);
    }

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    public static long Id(this JsonElement element) => element.GetProperty("id").GetInt64();

    public static List<string> Strings(this JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToList();

    public static bool IsNull(this JsonElement element, string property) =>
        element.GetProperty(property).ValueKind == JsonValueKind.Null;

    /// <summary>ISO-8601 UTC with milliseconds, as API.md requires: 2026-11-28T10:15:30.123Z.</summary>
    public static void AssertTimestamp(JsonElement value)
    {
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        Assert.Matches(new Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"), value.GetString()!);
    }
}
