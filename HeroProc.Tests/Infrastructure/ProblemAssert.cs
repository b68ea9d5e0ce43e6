using System.Net;
using System.Text.Json;

namespace HeroProc.Tests.Infrastructure;

/// <summary>Checks that a response is an RFC 9457 problem document.</summary>
public static class ProblemAssert
{
    /// <summary>The parsed problem, after asserting its status, content type and required members.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} but got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.True(problem.TryGetProperty("type", out _), "a problem has a type");
        return problem;
    }

    /// <summary>The problem's text (detail and every error, field names included), for "names the field" checks.</summary>
    public static string Text(JsonElement problem)
    {
        var parts = new List<string>();
        if (problem.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            parts.Add(detail.GetString()!);
        if (problem.TryGetProperty("errors", out var errors))
            parts.AddRange(errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join("; ", e.Value.EnumerateArray().Select(m => m.GetString()))}"));
        return string.Join(" | ", parts);
    }
}
