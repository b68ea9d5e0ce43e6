using System.Net;
using System.Text;
using System.Text.Json;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Api;

/// <summary>
/// Every endpoint against malformed input: each request is refused with a problem document that
/// says why (the field or the reason), never a 5xx, and nothing is written. The rows are in
/// <c>BadInputTests.Rows.cs</c>.
/// </summary>
public partial class BadInputTests
{
    /// <summary>One malformed request and what its problem must say (case-insensitive).</summary>
    public sealed record BadRequest(string Method, string Url, string? Body, int Status, string Says)
    {
        public string? Label { get; init; }
        public (string Name, string Value)[] Headers { get; init; } = [];
        public string ContentType { get; init; } = "application/json";

        public override string ToString() =>
            $"{Method} {Url} {Label ?? (Body is null ? "(no body)" : Shorten(Body, 120))}";
    }

    [Fact]
    public async Task Malformed_requests_are_refused_with_problems_that_say_why_and_write_nothing()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        var seededRun = await SeedAsync(app, client);
        var rows = Rows(seededRun).ToList();
        var countsBefore = probe.RowCounts();
        var stateBefore = probe.Query<string>(StateSql);

        var mismatches = new List<string>();
        foreach (var row in rows)
        {
            if (await MismatchAsync(client, row) is { } mismatch)
                mismatches.Add($"{row}\n    -> {mismatch}");
        }

        Assert.True(rows.Count >= 60, $"the table has {rows.Count} rows");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {rows.Count} requests were not refused as expected:\n" + string.Join("\n", mismatches));
        Assert.Equal(countsBefore, probe.RowCounts());
        Assert.Equal(stateBefore, probe.Query<string>(StateSql));
        Assert.Empty(probe.Violations());
    }

    /// <summary>What a rejected request might change without changing a row count.</summary>
    const string StateSql =
        """
        SELECT name || ' ' || updated_at || ' ' || spec_json FROM actions
        UNION ALL SELECT name || ' ' || updated_at || ' ' || wanted_status FROM services
        UNION ALL SELECT id || ' ' || status FROM runs
        """;

    /// <summary>A stored action, a stored process action, two services (one wanted started), a schedule, and a run with an idempotency key.</summary>
    static async Task<long> SeedAsync(HeroProcApp app, HttpClient client)
    {
        await (await client.PutJsonAsync("/api/actions/build", new { script = "make" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/actions/daemon", new { script = "sleep 1000", kind = "process" })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/web", new
        {
            after = new[] { "edge" },
            actions = new object[]
            {
                new { name = "migrate", script = "./migrate" },
                new { name = "serve", kind = "process", script = "./web", dependsOn = new[] { "migrate" } },
            },
        })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/services/locked", Specs.Service("run"))).ExpectAsync(HttpStatusCode.Created);
        await app.SetWantedStatusAsync("locked", "start");
        await app.InsertScheduleAsync("nightly", "build");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs")
        {
            Headers = { { "Idempotency-Key", "seed-key" } },
            Content = new StringContent("""{"actions":["build"]}""", Encoding.UTF8, "application/json"),
        };
        return (await (await client.SendAsync(request)).ExpectAsync<JsonElement>(HttpStatusCode.Created)).Id();
    }

    /// <summary>Why the response is not the expected problem, or null when it is.</summary>
    static async Task<string?> MismatchAsync(HttpClient client, BadRequest row)
    {
        using var request = new HttpRequestMessage(new HttpMethod(row.Method), row.Url);
        if (row.Body is not null)
            request.Content = new StringContent(row.Body, Encoding.UTF8, row.ContentType);
        foreach (var (name, value) in row.Headers)
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;

        if (status >= 500)
            return $"server error {status}: {Shorten(text, 300)}";
        if (status != row.Status)
            return $"expected {row.Status} but got {status}: {Shorten(text, 300)}";
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            return $"content type is '{response.Content.Headers.ContentType}', not application/problem+json: {Shorten(text, 300)}";
        JsonElement problem;
        try { problem = JsonDocument.Parse(text).RootElement; }
        catch (JsonException) { return $"the body is not JSON: {Shorten(text, 300)}"; }
        if (!problem.TryGetProperty("status", out var problemStatus) || problemStatus.ValueKind != JsonValueKind.Number || problemStatus.GetInt32() != status)
            return $"the problem's status is not {status}: {Shorten(text, 300)}";
        if (!problem.TryGetProperty("type", out _) || !problem.TryGetProperty("title", out var title) || string.IsNullOrEmpty(title.GetString()))
            return $"the problem lacks a type or title: {Shorten(text, 300)}";
        var says = ProblemAssert.Text(problem);
        if (!says.Contains(row.Says, StringComparison.OrdinalIgnoreCase))
            return $"the problem does not say '{row.Says}': {Shorten(says, 300)}";
        return null;
    }

    static string Shorten(string text, int max) => text.Length <= max ? text : $"{text[..max]}… ({Encoding.UTF8.GetByteCount(text)} bytes)";

    // Requests that once got a 5xx or an unhelpful problem: each pins down the fix.

    /// <summary>A null dependency must not reach the cycle check, which looks names up in a dictionary.</summary>
    [Fact]
    public async Task A_service_action_depending_on_null_is_a_400_not_a_500()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var response = await client.SendRawAsync(HttpMethod.Put, "/api/services/web",
            """{"actions":[{"name":"a","script":"x","dependsOn":[null]}]}""");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("dependsOn", ProblemAssert.Text(problem));
        Assert.Equal(0, new DatabaseProbe(app.DatabasePath).RowCounts()["services"]);
    }

    /// <summary>An unterminated quote in an exec command line is a validation error, not an exception.</summary>
    [Fact]
    public async Task An_exec_script_with_an_unterminated_quote_is_a_400_not_a_500()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var response = await client.SendRawAsync(HttpMethod.Put, "/api/actions/x", """{"interpreter":"exec","script":"echo \"unterminated"}""");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("quote", ProblemAssert.Text(problem));
        Assert.Equal(0, new DatabaseProbe(app.DatabasePath).RowCounts()["actions"]);
    }

    /// <summary>The binder's type name ("System.String.") is translated into what the client must send.</summary>
    [Fact]
    public async Task A_number_where_a_string_belongs_is_explained_as_needing_a_string()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var response = await client.SendRawAsync(HttpMethod.Put, "/api/actions/x", """{"script":123}""");

        var text = ProblemAssert.Text(await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest));
        Assert.Contains("script", text);
        Assert.Contains("must be a string", text);
    }

    /// <summary>API.md wants a detail saying what went wrong, for a 415 too.</summary>
    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_a_problem_that_says_why()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var response = await client.SendRawAsync(HttpMethod.Put, "/api/actions/x", "script=make", "text/plain");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", ProblemAssert.Text(problem));
    }

    /// <summary>Unknown and duplicate fields and a missing body are explained without .NET internals.</summary>
    [Fact]
    public async Task Body_problems_speak_to_the_client_not_of_dotnet_internals()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        var unknown = await client.SendRawAsync(HttpMethod.Put, "/api/actions/x", """{"script":"x","timeoutSec":5}""");
        var duplicate = await client.SendRawAsync(HttpMethod.Put, "/api/actions/x", """{"script":"x","script":"y"}""");
        var missing = await client.SendRawAsync(HttpMethod.Post, "/api/system/wipe", null);

        var unknownText = ProblemAssert.Text(await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.BadRequest));
        var duplicateText = ProblemAssert.Text(await ProblemAssert.IsProblemAsync(duplicate, HttpStatusCode.BadRequest));
        var missingText = ProblemAssert.Text(await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest));
        Assert.Contains("timeoutSec", unknownText);
        Assert.Contains("script", duplicateText);
        Assert.Contains("body", missingText);
        Assert.DoesNotContain("HeroProc.Api", unknownText + duplicateText);
        Assert.DoesNotContain("Did you mean to use a Service", missingText);
    }
}
