using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

public class LogRetentionTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_job_over_its_log_limit_keeps_its_newest_lines_behind_a_marker()
    {
        await using var app = new HeroProcApp(settings: new Dictionary<string, string> { ["HeroProc:Logs:MaxBytesPerJob"] = "262144" });
        var client = app.Client();

        var run = await client.RunToEndAsync(new { jobs = new[] { new { name = "chatty", script = "seq 1 200000" } } });

        var job = run.Job("chatty");
        var probe = new DatabaseProbe(app.DatabasePath);
        var kept = probe.Scalar<long>("SELECT log_bytes FROM jobs WHERE id = @id", new { id = job.Id });
        var dropped = probe.Scalar<long>("SELECT log_dropped_lines FROM jobs WHERE id = @id", new { id = job.Id });
        Assert.InRange(kept, 1, 262_144 + 1024 * 1024);
        Assert.True(dropped > 100_000, $"{dropped} lines dropped");
        Assert.Equal(kept, probe.Scalar<long>("SELECT SUM(byte_length) FROM log_chunks WHERE job_id = @id", new { id = job.Id }));
        var first = await client.LogsPageAsync(job.Id, after: 0, limit: 2);
        Assert.Equal($"[heroproc] {dropped} earlier lines were dropped by log retention", first.Lines[0].Text);
        Assert.Equal((dropped + 1).ToString(), first.Lines[1].Text);
        var last = await client.LogsPageAsync(job.Id, after: 199_999, limit: 10);
        Assert.Equal(["200000"], last.Lines.Select(l => l.Text));
        var logFile = Path.Combine(app.DataDir, "logs", $"{job.Id}.log");
        Assert.True(new FileInfo(logFile).Length > 4_000_000, "the file keeps its length: dropped ranges are holes");
        Assert.True(AllocatedBytes(logFile) < 2 * 1024 * 1024, $"the dropped ranges were freed: {AllocatedBytes(logFile)} bytes allocated");
    }

    /// <summary>Disk blocks the file really holds, as <c>du</c> counts them (holes excluded).</summary>
    static long AllocatedBytes(string path)
    {
        using var du = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("du", ["-k", path]) { RedirectStandardOutput = true })!;
        var output = du.StandardOutput.ReadToEnd();
        du.WaitForExit();
        return long.Parse(output.Split('\t')[0]) * 1024;
    }
}
