using System.Diagnostics;
using System.Net;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>A full disk, made real with a small tmpfs mounted on the data directory.</summary>
public class DiskFullTests
{
    static void Run(string command, params string[] args)
    {
        using var process = Process.Start(command, args);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed");
    }

    [Fact(Timeout = 120_000)]
    public async Task On_a_full_disk_writes_get_503_running_jobs_carry_on_and_everything_resumes_when_space_returns()
    {
        await using var app = new HeroProcApp();
        Run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", app.DataDir);
        try
        {
            var client = app.Client();
            var gate = Path.Combine(Path.GetTempPath(), "heroproc-gate-" + Guid.NewGuid().ToString("N"));
            var run = await client.SubmitAsync(new { jobs = new[] { new { name = "patient", script = $"echo before; while [ ! -e {gate} ]; do sleep 0.05; done; echo after" } } });
            await client.WaitForPidAsync(run.Jobs[0].Id);
            var filler = Path.Combine(app.DataDir, "filler");
            await FillAsync(filler);
            var before = new DatabaseProbe(app.DatabasePath).RowCounts();

            var refused = await client.PostJsonAsync("/api/runs", Specs.Run(3));

            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Equal(before, new DatabaseProbe(app.DatabasePath).RowCounts());
            Assert.Equal(JobStatus.Running, (await client.GetJobAsync(run.Jobs[0].Id)).Status);

            File.Delete(filler);
            await File.WriteAllTextAsync(gate, "");
            var ended = await client.WaitForRunEndAsync(run.Id);
            File.Delete(gate);

            Assert.Equal(JobStatus.Succeeded, ended.Jobs[0].Status);
            Assert.Equal("after", (await client.AllLogsAsync(ended.Jobs[0].Id))[^1].Text);
            await (await client.PostJsonAsync("/api/runs", Specs.Run(3))).ExpectAsync(HttpStatusCode.Created);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            await app.DisposeAsync();
            Run("umount", "-l", app.DataDir);
        }
    }

    /// <summary>Writes until the filesystem says it is full.</summary>
    static async Task FillAsync(string path)
    {
        var block = new byte[64 * 1024];
        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            while (true)
                await file.WriteAsync(block);
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
    }
}
