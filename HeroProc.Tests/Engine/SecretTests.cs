using System.Net;
using System.Text;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

public class SecretTests
{
    const string Value = "hunter2-very-secret-Zq9";

    [Fact(Timeout = 60_000)]
    public async Task Secrets_are_stored_listed_without_values_replaced_and_deleted()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();

        await (await client.PutJsonAsync("/api/secrets/API_TOKEN", new { value = Value })).ExpectAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync("/api/secrets/API_TOKEN", new { value = Value + "2" })).ExpectAsync(HttpStatusCode.OK);
        var list = await (await client.GetAsync("/api/secrets")).Content.ReadAsStringAsync();
        var tooShort = await client.PutJsonAsync("/api/secrets/SHORT", new { value = "abc" });
        var badName = await client.PutJsonAsync("/api/secrets/9bad", new { value = Value });
        var deleted = await client.DeleteAsync("/api/secrets/API_TOKEN");
        var again = await client.DeleteAsync("/api/secrets/API_TOKEN");

        Assert.Contains("\"name\":\"API_TOKEN\"", list);
        Assert.Contains("createdAt", list);
        Assert.DoesNotContain(Value, list);
        Assert.Contains("value", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(tooShort, HttpStatusCode.BadRequest)));
        Assert.Contains("name", ProblemAssert.Text(await ProblemAssert.IsProblemAsync(badName, HttpStatusCode.BadRequest)));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_job_gets_its_secret_and_the_value_is_masked_in_its_output_and_found_nowhere_at_rest()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        await (await client.PutJsonAsync("/api/secrets/API_TOKEN", new { value = Value })).ExpectAsync(HttpStatusCode.Created);

        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { new { name = "leaky", script = "echo token=$API_TOKEN; echo \"twice:$API_TOKEN$API_TOKEN\" >&2; test ${#API_TOKEN} -eq 23", secrets = new[] { "API_TOKEN" } } },
        });

        var job = run.Jobs[0];
        Assert.Equal(JobStatus.Succeeded, job.Status);
        var lines = await client.AllLogsAsync(job.Id);
        Assert.Equal(["token=***", "twice:******"], lines.Select(l => l.Text));
        var responses = string.Concat(await Task.WhenAll(
            new[] { $"/api/runs/{run.Id}", $"/api/jobs/{job.Id}", $"/api/jobs/{job.Id}/logs", $"/api/runs/{run.Id}/logs", "/api/secrets", "/api/jobs", "/api/system", "/metrics" }
                .Select(url => client.GetStringAsync(url))));
        Assert.DoesNotContain(Value, responses);
        Assert.NotEmpty(app.LogLines);
        Assert.DoesNotContain(app.LogLines, line => line.Contains(Value));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(app.DataDir, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/keys/")))
            Assert.False(Contains(await File.ReadAllBytesAsync(file), Encoding.UTF8.GetBytes(Value)), $"{file} holds the secret");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_secret_deleted_before_its_job_starts_fails_the_job_naming_it()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        await (await client.PutJsonAsync("/api/secrets/API_TOKEN", new { value = Value })).ExpectAsync(HttpStatusCode.Created);
        var run = await client.SubmitAsync(new { jobs = new[] { new { name = "needs", script = "true", secrets = new[] { "API_TOKEN" } } } });
        await (await client.DeleteAsync("/api/secrets/API_TOKEN")).ExpectAsync(HttpStatusCode.NoContent);

        await client.PostAsync("/api/system/resume", null);
        var ended = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal(JobStatus.Failed, ended.Jobs[0].Status);
        Assert.Contains("secret 'API_TOKEN' no longer exists", ended.Jobs[0].Error);
    }

    [Fact(Timeout = 60_000)]
    public async Task Each_line_of_a_multi_line_secret_is_masked()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        await (await client.PutJsonAsync("/api/secrets/PEM", new { value = "-----BEGIN KEY-----\nc2VjcmV0LWtleS1ib2R5\n-----END KEY-----" })).ExpectAsync(HttpStatusCode.Created);

        var run = await client.RunToEndAsync(new { jobs = new[] { new { name = "pem", script = "echo \"$PEM\"", secrets = new[] { "PEM" } } } });

        Assert.Equal(["***", "***", "***"], (await client.AllLogsAsync(run.Jobs[0].Id)).Select(l => l.Text));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unfinished_line_holding_a_secret_is_kept_encrypted_between_ingestion_passes()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var gate = Path.Combine(app.DataDir, "gate");
        await (await client.PutJsonAsync("/api/secrets/API_TOKEN", new { value = Value })).ExpectAsync(HttpStatusCode.Created);
        var run = await client.SubmitAsync(new
        {
            jobs = new[] { new { name = "partial", script = $"printf %s \"$API_TOKEN\"; sleep 0.3; echo tick >&2; while [ ! -e {gate} ]; do sleep 0.05; done; echo", secrets = new[] { "API_TOKEN" } } },
        });
        var probe = new DatabaseProbe(app.DatabasePath);

        await Eventually.TrueAsync(() => probe.Scalar<byte[]?>("SELECT carry_stdout FROM jobs WHERE id = @Id", run.Jobs[0]) is not null,
            "a pass stored the unfinished line");
        var carry = probe.Scalar<byte[]>("SELECT carry_stdout FROM jobs WHERE id = @Id", run.Jobs[0]);
        await File.WriteAllTextAsync(gate, "");
        var ended = await client.WaitForRunEndAsync(run.Id);

        Assert.False(Contains(carry, Encoding.UTF8.GetBytes(Value)), "the stored carry is encrypted");
        Assert.Equal(["tick", "***"], (await client.AllLogsAsync(ended.Jobs[0].Id)).Select(l => l.Text));
    }

    static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
