using System.Text;
using System.Text.Json;

namespace HeroProc.Tests.Api;

/// <summary>The table: method, url, raw body, expected status, and what the problem must say.</summary>
public partial class BadInputTests
{
    static BadRequest Put(string url, string? body, string says, int status = 400) => new("PUT", url, body, status, says);
    static BadRequest Post(string url, string? body, string says, int status = 400) => new("POST", url, body, status, says);
    static BadRequest Get(string url, string says, int status = 400) => new("GET", url, null, status, says);
    static BadRequest Delete(string url, string says, int status = 400) => new("DELETE", url, null, status, says);

    /// <summary>A standalone action whose spec is <c>{"script":"x", ...fields}</c>.</summary>
    static BadRequest Action(string fields, string says) => Put("/api/actions/x", $$"""{"script":"x",{{fields}}}""", says);

    /// <summary>A run with one inline job <c>{"name":"a","script":"x", ...fields}</c>.</summary>
    static BadRequest Job(string fields, string says) => Post("/api/runs", $$"""{"jobs":[{"name":"a","script":"x",{{fields}}}]}""", says);

    /// <summary>A service whose one action is a process with <c>...fields</c>.</summary>
    static BadRequest Process(string fields, string says) =>
        Put("/api/services/svc", $$"""{"actions":[{"name":"p","script":"x","kind":"process",{{fields}}}]}""", says);

    static string Json(object value) => JsonSerializer.Serialize(value);

    static string Jobs(params string[] jobs) => $$"""{"jobs":[{{string.Join(",", jobs)}}]}""";

    static string Actions(params string[] actions) => $$"""{"actions":[{{string.Join(",", actions)}}]}""";

    static IEnumerable<BadRequest> Rows(long seededRun)
    {
        var big = new string('x', 1024 * 1024 + 1);
        var namesCursor = Convert.ToBase64String(Encoding.UTF8.GetBytes("v1:build")).TrimEnd('=');

        // Bodies that are not JSON, or not the JSON of the request.
        yield return Put("/api/actions/x", "{", "not valid");
        yield return Post("/api/runs", "not json", "not valid");
        yield return Put("/api/services/svc", """{"actions":[""", "not valid");
        yield return Put("/api/actions/x", "", "body");
        yield return Put("/api/actions/x", "[]", "not valid");
        yield return Put("/api/actions/x", """{"script":"a","script":"b"}""", "script");
        yield return Post("/api/system/wipe", """{"confirm":"wipe" """, "not valid");

        // Wrong JSON types.
        yield return Put("/api/actions/x", """{"script":123}""", "script");
        yield return Action("\"timeoutSecs\":\"10\"", "timeoutSecs");
        yield return Action("\"timeoutSecs\":1.5", "timeoutSecs");
        yield return Action("\"retry\":{\"maxAttempts\":99999999999}", "maxAttempts");
        yield return Action("\"env\":[]", "env");
        yield return Action("\"tags\":\"ci\"", "tags");
        yield return Action("\"dependsOn\":\"build\"", "dependsOn");
        yield return Post("/api/runs", """{"actions":"build"}""", "actions");
        yield return Post("/api/runs", """{"jobs":{"name":"a","script":"x"}}""", "jobs");
        yield return Put("/api/services/svc", """{"actions":[{"name":"a","script":"x","retry":3}]}""", "retry");
        yield return Post("/api/system/wipe", """{"confirm":true}""", "confirm");

        // Unknown enum values.
        yield return Action("\"interpreter\":\"zsh\"", "interpreter");
        yield return Action("\"interpreter\":1", "interpreter");
        yield return Action("\"kind\":\"daemon\"", "kind");
        yield return Action("\"stopSignal\":\"term\"", "stopSignal");
        yield return Process("\"restart\":\"sometimes\"", "restart");
        yield return Process("\"probe\":{\"type\":\"udp\",\"target\":\"h:1\"}", "type");

        // Unknown fields.
        yield return Action("\"timeoutSec\":5", "timeoutSec");
        yield return Action("\"retry\":{\"attempts\":3}", "attempts");
        yield return Post("/api/runs", """{"jobs":[{"name":"a","script":"x"}],"parallel":2}""", "parallel");
        yield return Put("/api/services/svc", """{"require":["db"],"actions":[{"name":"a","script":"x"}]}""", "require");
        yield return Post("/api/system/wipe", """{"confirm":"wipe","force":true}""", "force");

        // Names.
        yield return Put("/api/actions/Build", """{"script":"x"}""", "name");
        yield return Put("/api/actions/-build", """{"script":"x"}""", "name");
        yield return Put("/api/actions/" + new string('a', 65), """{"script":"x"}""", "name");
        yield return Put("/api/actions/a%20b", """{"script":"x"}""", "name");
        yield return Put("/api/actions/a.b", """{"script":"x"}""", "name");
        yield return Put("/api/actions/web.nope", """{"script":"x"}""", "name");
        yield return Put("/api/services/Web", Actions("""{"name":"a","script":"x"}"""), "name");
        yield return Put("/api/services/web.x", Actions("""{"name":"a","script":"x"}"""), "name");
        yield return Put("/api/services/svc", Actions("""{"name":"x.y","script":"x"}"""), "actions[0].name");
        yield return Put("/api/services/svc", Actions("""{"script":"x"}"""), "actions[0].name");
        yield return Put("/api/services/svc", """{"requires":["Db"],"actions":[{"name":"a","script":"x"}]}""", "requires[0]");
        yield return Put("/api/services/svc", """{"after":["a.b"],"actions":[{"name":"a","script":"x"}]}""", "after[0]");
        yield return Post("/api/runs", Jobs("""{"name":"Bad","script":"x"}"""), "jobs[0].name");
        yield return Post("/api/runs", Jobs("""{"name":"a.b","script":"x"}"""), "jobs[0].name");
        yield return Post("/api/runs", Jobs("""{"script":"x"}"""), "jobs[0].name");
        yield return Post("/api/runs", """{"actions":["Build"]}""", "actions[0]");
        yield return Job("\"dependsOn\":[\"B\"]", "dependsOn[0]");
        yield return Action("\"secrets\":[\"1TOKEN\"]", "secrets[0]");

        // Scripts, paths and environments.
        yield return Put("/api/actions/x", """{"script":""}""", "script");
        yield return Put("/api/actions/x", "{}", "script");
        yield return Put("/api/actions/x", Json(new { script = new string('x', 64 * 1024 + 1) }), "script") with { Label = "script of 64 KiB + 1 byte" };
        yield return Put("/api/actions/x", Json(new { script = new string('é', 40_000) }), "script") with { Label = "script of 40,000 'é' (80,000 bytes)" };
        yield return Action("\"cwd\":\"relative/dir\"", "cwd");
        yield return Action("\"env\":{\"1A\":\"x\"}", "env");
        yield return Action("\"env\":{\"A-B\":\"x\"}", "env");
        yield return Action("\"env\":{\"A\":null}", "env");
        yield return Put("/api/actions/x", Json(new { script = "x", env = Enumerable.Range(0, 257).ToDictionary(i => $"K{i}", _ => "v") }), "env") with { Label = "257 env entries" };
        yield return Action($"\"env\":{{\"A\":\"{new string('v', 32 * 1024 + 1)}\"}}", "env") with { Label = "env value of 32 KiB + 1 byte" };
        yield return Post("/api/runs", """{"jobs":[{"name":"a","script":"x"}],"env":{"bad key":"x"}}""", "env");

        // Numeric limits, each just outside its range.
        foreach (var (field, value) in new[] { ("timeoutSecs", "-1"), ("timeoutSecs", "604801"), ("stopTimeoutSecs", "-1"), ("stopTimeoutSecs", "3601") })
            yield return Action($"\"{field}\":{value}", field);
        foreach (var (field, value) in new[]
                 {
                     ("maxAttempts", "0"), ("maxAttempts", "101"), ("delaySecs", "-1"), ("delaySecs", "86401"),
                     ("backoff", "0.99"), ("backoff", "10.01"), ("maxDelaySecs", "-1"), ("maxDelaySecs", "86401"),
                 })
            yield return Job($"\"retry\":{{\"{field}\":{value}}}", $"retry.{field}");
        foreach (var (field, value) in new[]
                 {
                     ("delayMs", "-1"), ("delayMs", "3600001"), ("maxDelayMs", "-1"), ("maxDelayMs", "3600001"),
                     ("factor", "0.99"), ("factor", "10.01"), ("resetAfterSecs", "-1"), ("resetAfterSecs", "86401"),
                     ("minUptimeMs", "-1"), ("minUptimeMs", "600001"), ("maxRestarts", "0"), ("maxRestarts", "10001"),
                     ("windowSecs", "0"), ("windowSecs", "86401"),
                 })
            yield return Process($"\"restartPolicy\":{{\"{field}\":{value}}}", $"restartPolicy.{field}");
        foreach (var (field, value) in new[]
                 {
                     ("intervalSecs", "0"), ("intervalSecs", "3601"), ("timeoutSecs", "0"), ("timeoutSecs", "601"),
                     ("failureThreshold", "0"), ("failureThreshold", "101"), ("restartAfter", "-1"), ("restartAfter", "101"),
                 })
            yield return Process($"\"probe\":{{\"type\":\"tcp\",\"target\":\"127.0.0.1:80\",\"{field}\":{value}}}", $"probe.{field}");
        yield return Process("\"probe\":{\"type\":\"http\",\"target\":\"not a url\"}", "probe.target");
        yield return Post("/api/runs", """{"jobs":[{"name":"a","script":"x"}],"maxParallel":0}""", "maxParallel");
        yield return Post("/api/runs", """{"jobs":[{"name":"a","script":"x"}],"maxParallel":1001}""", "maxParallel");
        yield return Post("/api/runs", Json(new { jobs = Enumerable.Range(0, 10_001).Select(i => new { name = $"j{i}", script = "x" }) }), "jobs") with { Label = "10,001 jobs" };
        yield return Post("/api/runs", "{}", "jobs");
        yield return Post("/api/runs", """{"actions":[],"jobs":[]}""", "jobs");

        // Names and tags of runs and actions.
        yield return Put("/api/actions/x", Json(new { script = "x", tags = Enumerable.Range(0, 33).Select(i => $"t{i}") }), "tags") with { Label = "33 tags" };
        yield return Job($"\"tags\":[\"{new string('t', 129)}\"]", "tags[0]") with { Label = "job tag of 129 characters" };
        yield return Post("/api/runs", $$"""{"jobs":[{"name":"a","script":"x"}],"tags":["{{new string('t', 129)}}"]}""", "tags[0]") with { Label = "run tag of 129 characters" };
        yield return Action("\"tags\":[\"\"]", "tags[0]");
        yield return Post("/api/runs", $$"""{"name":"{{new string('n', 129)}}","jobs":[{"name":"a","script":"x"}]}""", "name") with { Label = "run name of 129 characters" };
        yield return Post("/api/runs", """{"name":"","jobs":[{"name":"a","script":"x"}]}""", "name");

        // Oneshot and process.
        yield return Job("\"kind\":\"process\"", "process");
        yield return Post("/api/runs", """{"actions":["daemon"]}""", "process");
        yield return Action("\"restart\":\"always\"", "restart");
        yield return Action("\"restartPolicy\":{\"delayMs\":100}", "restartPolicy");
        yield return Action("\"probe\":{\"type\":\"tcp\",\"target\":\"127.0.0.1:80\"}", "probe");

        // What a run names.
        yield return Post("/api/runs", """{"actions":["nope"]}""", "no action named 'nope'");
        yield return Post("/api/runs", """{"actions":["web.serve"]}""", "service-owned");
        yield return Post("/api/runs", Jobs("""{"name":"a","script":"x"}""", """{"name":"a","script":"y"}"""), "used twice");
        yield return Post("/api/runs", """{"actions":["build"],"jobs":[{"name":"build","script":"x"}]}""", "used twice");
        yield return Job("\"dependsOn\":[\"zz\"]", "zz");
        yield return Post("/api/runs", Jobs("""{"name":"a","script":"x","dependsOn":["b"]}""", """{"name":"b","script":"x","dependsOn":["a"]}"""), "a -> b -> a");
        yield return Job("\"dependsOn\":[\"a\"]", "itself");
        yield return Job("\"secrets\":[\"NO_SUCH_SECRET\"]", "NO_SUCH_SECRET");
        yield return Action("\"secrets\":[\"NO_SUCH_SECRET\"]", "NO_SUCH_SECRET");

        // Service definitions.
        yield return Put("/api/services/svc", """{"actions":[]}""", "actions");
        yield return Put("/api/services/svc", """{"description":"no actions"}""", "actions");
        yield return Put("/api/services/svc", Json(new { actions = Enumerable.Range(0, 101).Select(i => new { name = $"a{i}", script = "x" }) }), "actions") with { Label = "101 actions" };
        yield return Put("/api/services/svc", Actions("""{"name":"a","script":"x"}""", """{"name":"a","script":"y"}"""), "used twice");
        yield return Put("/api/services/svc", Actions("""{"name":"a","script":"x","dependsOn":["b"]}""", """{"name":"b","script":"x","dependsOn":["a"]}"""), "a -> b -> a");
        yield return Put("/api/services/svc", Actions("""{"name":"a","script":"x","dependsOn":["zz"]}"""), "zz");
        yield return Put("/api/services/edge", """{"requires":["web"],"actions":[{"name":"a","script":"x"}]}""", "edge -> web -> edge");
        yield return Put("/api/services/svc", """{"after":["svc"],"actions":[{"name":"a","script":"x"}]}""", "svc -> svc");
        yield return Put("/api/services/svc", Actions("""{"name":"a","script":"x","secrets":["NO_SUCH_SECRET"]}"""), "NO_SUCH_SECRET");

        // Lists: limit, cursor and filters.
        foreach (var list in new[] { "/api/runs", "/api/jobs", "/api/actions", "/api/services" })
        {
            yield return Get($"{list}?limit=0", "limit");
            yield return Get($"{list}?limit=501", "limit");
            yield return Get($"{list}?limit=abc", "limit");
            yield return Get($"{list}?cursor=!!!", "cursor");
        }
        yield return Get($"/api/runs?cursor={namesCursor}", "cursor") with { Label = "a cursor of the actions list" };
        yield return Get("/api/jobs?cursor=" + new string('A', 2000), "cursor") with { Label = "a 2000-character cursor" };
        yield return Get("/api/runs?status=done", "status");
        yield return Get("/api/jobs?status=weird", "status");
        yield return Get("/api/runs?since=yesterday", "since");
        yield return Get("/api/jobs?runId=abc", "runId");

        // Bulk delete and wipe.
        yield return Delete("/api/runs", "status");
        yield return Delete("/api/runs?status=pending", "finished");
        yield return Delete("/api/runs?status=running", "finished");
        yield return Delete("/api/runs?status=bogus", "status");
        yield return Delete("/api/runs?before=abc", "before");
        yield return Delete("/api/runs?status=succeeded&before=abc", "before");
        yield return Post("/api/system/wipe", "", "body");
        yield return Post("/api/system/wipe", null, "body");
        yield return Post("/api/system/wipe", "{}", "confirm");
        yield return Post("/api/system/wipe?definitions=true", """{"confirm":"WIPE"}""", "confirm");
        yield return Post("/api/system/wipe?definitions=maybe", """{"confirm":"wipe"}""", "definitions");

        // Bodies over 1 MiB.
        yield return Put("/api/actions/x", Json(new { script = big }), "1048576", 413) with { Label = "action body over 1 MiB" };
        yield return Post("/api/runs", big, "1048576", 413) with { Label = "run body over 1 MiB" };

        // Unknown and malformed ids.
        yield return Get("/api/actions/nope", "nope", 404);
        yield return Delete("/api/actions/nope", "nope", 404);
        yield return Get("/api/services/nope", "nope", 404);
        yield return Delete("/api/services/nope", "nope", 404);
        yield return Get("/api/runs/999999", "999999", 404);
        yield return Delete("/api/runs/999999", "999999", 404);
        yield return Get("/api/jobs/999999", "999999", 404);
        yield return Get("/api/jobs/999999/events", "999999", 404);
        yield return Get("/api/runs/abc", "malformed", 404);
        yield return Delete("/api/runs/abc", "malformed", 404);
        yield return Get("/api/runs/99999999999999999999", "malformed", 404);
        yield return Get("/api/jobs/-1", "-1", 404);
        yield return Get("/api/jobs/abc/events", "malformed", 404);
        yield return Get("/api/nothing-here", "nothing-here", 404);

        // State conflicts, idempotency and methods.
        yield return Put("/api/actions/web.serve", """{"script":"x"}""", "service 'web'", 409);
        yield return Delete("/api/actions/web.serve", "service 'web'", 409);
        yield return Delete("/api/actions/build", "nightly", 409);
        yield return Delete($"/api/runs/{seededRun}", "pending", 409);
        yield return Delete("/api/services/locked", "locked", 409);
        yield return Post("/api/runs", """{"jobs":[{"name":"a","script":"x"}]}""", "Idempotency-Key") with
        {
            Headers = [("Idempotency-Key", new string('k', 129))], Label = "Idempotency-Key of 129 characters",
        };
        yield return Post("/api/runs", """{"actions":["build"],"name":"other"}""", "seed-key", 422) with
        {
            Headers = [("Idempotency-Key", "seed-key")], Label = "the seed's Idempotency-Key with another body",
        };
        yield return new BadRequest("PATCH", "/api/actions/build", """{"script":"x"}""", 405, "PATCH");
    }
}
