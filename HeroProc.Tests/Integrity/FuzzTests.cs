using System.Net;
using System.Text.Json.Nodes;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Integrity;

/// <summary>
/// Mutated versions of valid bodies, from a fixed seed: every answer is a 2xx or a 4xx problem
/// document, never a 5xx, and the database stays whole.
/// </summary>
public class FuzzTests
{
    static readonly JsonNode?[] Nonsense =
    [
        null, true, 0, -1, 1.5, 1e300, int.MaxValue, long.MinValue, "", " ", "x", new string('a', 70_000), "\0", "../../etc",
        "日本語", "😀", new JsonArray(), new JsonArray(1, "a", null), new JsonObject(), new JsonObject { ["a"] = 1 },
    ];

    static readonly (string Method, string Url, string Body)[] Seeds =
    [
        ("PUT", "/api/actions/build", """{"description":"d","interpreter":"bash","script":"echo hi","cwd":"/tmp","env":{"A":"1"},"timeoutSecs":5,"retry":{"maxAttempts":2,"delaySecs":1,"backoff":2.0,"maxDelaySecs":5},"dependsOn":["x"],"stopSignal":"INT","stopTimeoutSecs":3,"tags":["t"]}"""),
        ("POST", "/api/runs", """{"name":"r","actions":["build"],"jobs":[{"name":"x","script":"true"},{"name":"y","script":"true","dependsOn":["x","build"]}],"env":{"B":"2"},"maxParallel":2,"tags":["n"]}"""),
        ("PUT", "/api/services/web", """{"description":"w","requires":["db"],"after":["net"],"actions":[{"name":"m","script":"true"},{"name":"s","kind":"process","script":"sleep 1","dependsOn":["m"],"restart":"on-failure","restartPolicy":{"delayMs":10,"factor":2.0,"maxDelayMs":100,"resetAfterSecs":1,"minUptimeMs":1,"maxRestarts":3,"windowSecs":10},"probe":{"type":"tcp","target":"127.0.0.1:1","intervalSecs":1,"timeoutSecs":1,"failureThreshold":1,"restartAfter":1}}]}"""),
        ("POST", "/api/system/wipe", """{"confirm":"nope"}"""),
    ];

    [Fact]
    public async Task Two_thousand_mutated_bodies_never_get_a_5xx()
    {
        await using var app = new HeroProcApp(paused: true);
        var client = app.Client();
        var probe = new DatabaseProbe(app.DatabasePath);
        await (await client.SendRawAsync(HttpMethod.Put, "/api/actions/build", """{"script":"true"}""")).ExpectAsync(HttpStatusCode.Created);
        var random = new Random(20261128);
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();

        for (var i = 0; i < 2000; i++)
        {
            var (method, url, seed) = Seeds[random.Next(Seeds.Length)];
            var body = Mutate(JsonNode.Parse(seed)!, random);
            var response = await client.SendRawAsync(new HttpMethod(method), url, body);

            var status = (int)response.StatusCode;
            statuses[status / 100] = statuses.GetValueOrDefault(status / 100) + 1;
            if (status >= 500 || (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                failures.Add($"{method} {url} {body[..Math.Min(body.Length, 300)]} -> {status} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Empty(failures);
        Assert.True(statuses.GetValueOrDefault(2) > 50 && statuses.GetValueOrDefault(4) > 500,
            "the mutations reach both accepted and rejected paths: " + string.Join(", ", statuses.Select(s => $"{s.Key}xx={s.Value}")));
        Assert.Empty(probe.Violations());
    }

    /// <summary>One to three random edits: a value replaced by nonsense, a member dropped or added, or the text cut short.</summary>
    static string Mutate(JsonNode root, Random random)
    {
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var nodes = Walk(root).ToList();
            var target = nodes[random.Next(nodes.Count)];
            switch (random.Next(4))
            {
                case 0 when target.Parent is JsonObject parent:
                    parent[target.GetPropertyName()] = Nonsense[random.Next(Nonsense.Length)]?.DeepClone();
                    break;
                case 1 when target.Parent is JsonObject parent:
                    parent.Remove(target.GetPropertyName());
                    break;
                case 2 when target is JsonObject obj:
                    obj["unknown" + random.Next(3)] = 1;
                    break;
                case 3 when target.Parent is JsonArray array:
                    array[array.IndexOf(target)] = Nonsense[random.Next(Nonsense.Length)]?.DeepClone();
                    break;
            }
        }
        var text = root.ToJsonString();
        return random.Next(20) == 0 ? text[..random.Next(text.Length)] : text;
    }

    static IEnumerable<JsonNode> Walk(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
            foreach (var descendant in Walk(child))
                yield return descendant;
    }
}
