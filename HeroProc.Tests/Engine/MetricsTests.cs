using System.Globalization;
using System.Text.RegularExpressions;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

public partial class MetricsTests
{
    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$""")]
    private static partial Regex Sample();

    /// <summary>Every line is a comment or a sample of the Prometheus text format; returns name{labels} → value.</summary>
    static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
                continue;
            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample: {line}");
            samples[line[..line.LastIndexOf(' ')]] = double.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture);
        }
        return samples;
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_parse_as_prometheus_text_and_move_when_runs_execute()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var before = Parse(await client.GetStringAsync("/metrics"));

        await client.RunToEndAsync(new { jobs = new[] { new { name = "talk", script = "seq 1 1000" }, new { name = "fail", script = "exit 2" } } });
        var after = Parse(await client.GetStringAsync("/metrics"));

        Assert.Equal(0, before["heroproc_jobs{status=\"succeeded\"}"]);
        Assert.Equal(1, after["heroproc_jobs{status=\"succeeded\"}"]);
        Assert.Equal(1, after["heroproc_jobs{status=\"failed\"}"]);
        Assert.Equal(1, after["heroproc_runs{status=\"failed\"}"]);
        Assert.Equal(1, after["heroproc_job_duration_seconds_count{status=\"succeeded\"}"]);
        Assert.True(after["heroproc_log_bytes_ingested_total"] > before.GetValueOrDefault("heroproc_log_bytes_ingested_total") + 4000);
        Assert.True(after["heroproc_database_bytes"] > 0);
        Assert.Equal(0, after["heroproc_running_processes"]);
        Assert.Contains(after.Keys, k => k.StartsWith("http_requests_received_total{") && k.Contains("endpoint=\"/api/runs/\""));
    }
}
