using System.Text;
using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>A job's output comes back exactly: every line, in order per stream, with its bytes, through paging.</summary>
public class LogTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_hundred_thousand_interleaved_lines_per_stream_are_all_stored_in_order()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        const int count = 100_000;

        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { Specs.Job("chatty", $"awk 'BEGIN {{ for (i = 1; i <= {count}; i++) {{ print \"out \" i; print \"err \" i > \"/dev/stderr\" }} }}'") },
        }, TimeSpan.FromSeconds(60));

        var jobId = run.Jobs[0].Id;
        Assert.Equal(RunStatus.Succeeded, run.Status);
        var all = await client.AllLogsAsync(jobId, limit: 10_000);
        Assert.Equal(Enumerable.Range(1, 2 * count).Select(i => (long)i), all.Select(l => l.Seq));
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"out {i}"), all.Texts("stdout"));
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"err {i}"), all.Texts("stderr"));
        Assert.All(all, l => Assert.Equal(1, l.Attempt));
        var stderr = await client.AllLogsAsync(jobId, stream: "stderr", limit: 10_000);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"err {i}"), stderr.Select(l => l.Text));
        Assert.All(stderr, l => Assert.Equal("stderr", l.Stream));
        Assert.Equal(all.Where(l => l.Stream == "stderr").Select(l => l.Seq), stderr.Select(l => l.Seq));
        var stdout = await client.AllLogsAsync(jobId, stream: "stdout", limit: 10_000);
        Assert.Equal(all.Where(l => l.Stream == "stdout").Select(l => (l.Seq, l.Text)), stdout.Select(l => (l.Seq, l.Text)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Invalid_utf8_is_stored_with_replacement_characters_and_valid_text_unchanged()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { Specs.Job("bytes", @"printf '\377\376 ok\n'; printf 'caf\303\251 \342\234\223\n'; printf 'cut \342\234\n'; printf 'bad \200 end\n' >&2") },
        });

        Assert.Equal(JobStatus.Succeeded, run.Jobs[0].Status);
        var lines = await client.AllLogsAsync(run.Jobs[0].Id);
        Assert.Equal(["\uFFFD\uFFFD ok", "café ✓", "cut \uFFFD"], lines.Texts("stdout"));
        Assert.Equal(["bad \uFFFD end"], lines.Texts("stderr"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_one_mebibyte_line_comes_back_as_lines_of_at_most_64_KiB_that_join_to_the_original()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        // 9-byte units with a two-byte character, so that a cut at 64 KiB falls inside a character too.
        const int units = 116_509;
        var expected = string.Concat(Enumerable.Range(0, units).Select(i => $"{i:D6}é,"));

        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { Specs.Job("wide", $"echo before; awk 'BEGIN {{ for (i = 0; i < {units}; i++) printf \"%06dé,\", i; printf \"\\n\" }}'; echo after") },
        });

        Assert.True(Encoding.UTF8.GetByteCount(expected) >= 1024 * 1024);
        Assert.Equal((JobStatus.Succeeded, (string?)null), (run.Jobs[0].Status, run.Jobs[0].Error));
        var lines = (await client.AllLogsAsync(run.Jobs[0].Id)).Texts("stdout");
        Assert.Equal("before", lines[0]);
        Assert.Equal("after", lines[^1]);
        var pieces = lines[1..^1];
        Assert.All(pieces, p => Assert.True(Encoding.UTF8.GetByteCount(p) <= 64 * 1024, $"a piece of {Encoding.UTF8.GetByteCount(p)} bytes"));
        Assert.True(pieces.Count >= 16, $"{pieces.Count} pieces");
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.Equal(expected, string.Concat(pieces));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_line_of_exactly_64_KiB_stays_one_line()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        // The newline comes later than the 64 KiB before it, so the line is held back whole before it ends.
        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { Specs.Job("exact", "head -c 65536 /dev/zero | tr '\\0' x; sleep 0.3; echo; echo next") },
        });

        var job = run.Jobs[0];
        Assert.Equal((JobStatus.Succeeded, (string?)null), (job.Status, job.Error));
        Assert.Empty(ProcessTable.LiveInGroup(job.Pid!.Value));
        var lines = (await client.AllLogsAsync(job.Id)).Texts("stdout");
        Assert.Equal([65536, 4], lines.Select(l => l.Length));
        Assert.Equal(new string('x', 65536), lines[0]);
        Assert.Equal("next", lines[1]);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_last_line_without_a_newline_is_kept_on_each_stream()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { Specs.Job("tails", @"printf 'first\nlast without newline'; printf 'err\nerr tail' >&2") },
        });

        Assert.Equal(JobStatus.Succeeded, run.Jobs[0].Status);
        var lines = await client.AllLogsAsync(run.Jobs[0].Id);
        Assert.Equal(["first", "last without newline"], lines.Texts("stdout"));
        Assert.Equal(["err", "err tail"], lines.Texts("stderr"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Complete_is_true_only_once_the_job_has_ended_and_no_line_follows()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var gate = Path.Combine(app.SharedDir(), "go");
        var run = await client.SubmitAsync(new
        {
            jobs = new[] { Specs.Job("gated", $"echo one; while [ ! -e '{gate}' ]; do sleep 0.02; done; echo two") },
        });
        var jobId = run.Jobs[0].Id;

        JobLogsPage? first = null;
        await EngineArrange.UntilAsync(async () => (first = await Page(client, jobId, 0, 10)).Lines != "", "'one' is stored");
        var afterFirst = await Page(client, jobId, 1, 10);
        File.WriteAllText(gate, "");
        await client.WaitForJobAsync(jobId, j => j.Status.IsFinished(), "the job ended");
        var endedFromStart = await Page(client, jobId, 0, 1);
        var endedLast = await Page(client, jobId, 1, 1);
        var endedAfterAll = await Page(client, jobId, 2, 10);

        Assert.Equal(new JobLogsPage("one", 1, false), first);
        Assert.Equal(new JobLogsPage("", 1, false), afterFirst);
        Assert.Equal(new JobLogsPage("one", 1, false), endedFromStart);
        Assert.Equal(new JobLogsPage("two", 2, true), endedLast);
        Assert.Equal(new JobLogsPage("", 2, true), endedAfterAll);
    }

    /// <summary>A page in short: its lines' texts joined by '|', next and complete.</summary>
    sealed record JobLogsPage(string Lines, long Next, bool Complete);

    static async Task<JobLogsPage> Page(HttpClient client, long jobId, long after, int limit)
    {
        var page = await client.LogsPageAsync(jobId, after, limit);
        return new JobLogsPage(string.Join('|', page.Lines.Select(l => l.Text)), page.Next, page.Complete);
    }
}
