using HeroProc.Api.Supervision;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

public class LargeOutputTests
{
    /// <summary>
    /// Output faster than ingestion leaves a backlog of spool segments when the job exits: all of it must
    /// be stored before the job ends, not just what one pass reads. Small passes make the backlog certain.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task A_backlog_of_many_passes_is_all_stored_before_the_job_ends()
    {
        LogIngestor.MaxBytesPerPass = 16 * 1024;
        try
        {
            await using var app = new HeroProcApp();
            var client = app.Client();

            var run = await client.RunToEndAsync(new { jobs = new[] { new { name = "flood", script = "seq 1 500000" } } }, TimeSpan.FromSeconds(90));

            var job = run.Job("flood");
            Assert.Equal(JobStatus.Succeeded, job.Status);
            var last = await client.LogsPageAsync(job.Id, after: 499_990, limit: 100);
            Assert.Equal(Enumerable.Range(499_991, 10).Select(i => i.ToString()), last.Lines.Select(l => l.Text));
            Assert.True(last.Complete);
            Assert.Equal(500_000, new DatabaseProbe(app.DatabasePath).Scalar<long>("SELECT log_seq FROM jobs WHERE id = @id", new { id = job.Id }));
        }
        finally
        {
            LogIngestor.MaxBytesPerPass = 16 * 1024 * 1024;
        }
    }
}
