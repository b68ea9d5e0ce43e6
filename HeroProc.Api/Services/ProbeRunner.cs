using System.Diagnostics;
using System.Net.Sockets;
using HeroProc.Api.Actions;
using HeroProc.Api.Supervision;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>
/// Probes a running service process (API.md, <c>probe</c>): every <c>intervalSecs</c>, a command, an HTTP GET
/// or a TCP connect, each bounded by <c>timeoutSecs</c>. <c>failureThreshold</c> failures in a row make it
/// <c>degraded</c> (health failing); a pass makes it healthy again; <c>restartAfter</c> failures in a row
/// restart it. Each transition is committed with an entry in the service's history.
/// </summary>
public sealed class ProbeRunner(Db db, JobPaths paths, ServiceSignal signal, ChangePublisher publisher, TimeProvider clock, ILogger<ProbeRunner> logger)
{
    static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Starts probing the attempt; disposing the result stops it (the attempt ended).</summary>
    public IDisposable Start(JobStateRepository.ClaimedJob job, ActionSpec spec, AttemptHandle handle)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            try
            {
                await ProbeAsync(job, spec, handle, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Probing job {JobId} failed; it is no longer probed", job.Id);
            }
        }, CancellationToken.None);
        return new Stopper(stop);
    }

    async Task ProbeAsync(JobStateRepository.ClaimedJob job, ActionSpec spec, AttemptHandle handle, CancellationToken ct)
    {
        var probe = spec.Probe!;
        var interval = TimeSpan.FromSeconds(probe.IntervalSecs!.Value);
        var service = (await db.ReadAsync(tx => RunRepository.GetAsync(tx, job.RunId), ct))?.Service;
        string? health = null;
        var failures = 0;
        // A process is given its minUptimeMs (at most one interval) to come up before it is first asked.
        var firstWait = TimeSpan.FromMilliseconds(Math.Min(spec.RestartPolicy?.MinUptimeMs ?? 0, interval.TotalMilliseconds));
        await Task.Delay(firstWait, clock, ct);
        while (true)
        {
            var failure = await CheckAsync(probe, spec, job.Id, ct);
            ct.ThrowIfCancellationRequested();
            if (failure is null)
            {
                failures = 0;
                if (health != "passing")
                    await RecordHealthAsync(job, service, health = "passing", "probe passing", ct);
            }
            else if (++failures >= probe.FailureThreshold && health != "failing")
            {
                await RecordHealthAsync(job, service, health = "failing", $"probe failing ({failures} in a row): {failure}", ct);
            }
            if (failure is not null && probe.RestartAfter > 0 && failures >= probe.RestartAfter)
            {
                await RestartAsync(job, service, handle, $"{failures} probe failures in a row: restarting", ct);
                return;
            }
            await Task.Delay(interval, clock, ct);
        }
    }

    /// <summary>
    /// Commits the probe's new verdict. A process not yet up stays <c>starting</c> whatever its probe says
    /// (the supervisor records it <c>running</c> once up and passing); one that is up turns <c>degraded</c> or back.
    /// </summary>
    async Task RecordHealthAsync(JobStateRepository.ClaimedJob job, string? service, string health, string detail, CancellationToken ct)
    {
        var changed = await db.InTransactionAsync(async tx =>
        {
            if (!await ProcessStateRepository.SetHealthAsync(tx, job.Id, job.Attempt, health))
                return false;
            var up = (await JobRepository.GetAsync(tx, job.Id))?.ReadyAt is not null;
            if (service is not null && (up || health == "failing"))
                await ServiceRepository.AddEventAsync(tx, service, !up ? "starting" : health == "passing" ? "running" : "degraded", job.Name, clock.GetUtcNow(), detail);
            await publisher.PublishAsync(tx, [job.Id], [job.RunId]);
            return true;
        }, ct);
        if (changed)
            signal.Wake();
    }

    async Task RestartAsync(JobStateRepository.ClaimedJob job, string? service, AttemptHandle handle, string detail, CancellationToken ct)
    {
        var stopping = await db.InTransactionAsync(async tx =>
        {
            if (!await JobStateRepository.RequestStopAsync(tx, job.Id, "probe", job.Attempt))
                return false;
            if (service is not null)
                await ServiceRepository.AddEventAsync(tx, service, "stopping", job.Name, clock.GetUtcNow(), detail);
            return true;
        }, ct);
        if (stopping)
            handle.RequestStop();
    }

    /// <summary>Null when the probe passes; otherwise why it failed.</summary>
    async Task<string?> CheckAsync(Probe probe, ActionSpec spec, long jobId, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(probe.TimeoutSecs!.Value));
        try
        {
            return probe.Type switch
            {
                ProbeType.Http => await CheckHttpAsync(probe.Target!, timeout.Token),
                ProbeType.Tcp => await CheckTcpAsync(probe.Target!, timeout.Token),
                _ => await CheckCommandAsync(probe.Target!, spec, jobId, timeout.Token),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {probe.TimeoutSecs} s";
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    static async Task<string?> CheckHttpAsync(string url, CancellationToken ct)
    {
        using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        return (int)response.StatusCode < 400 ? null : $"HTTP {(int)response.StatusCode}";
    }

    static async Task<string?> CheckTcpAsync(string target, CancellationToken ct)
    {
        var split = target.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(target[..split].Trim('[', ']'), int.Parse(target[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture), ct);
        return null;
    }

    /// <summary>
    /// The command runs with sh in the job's directory and environment (secrets excepted), in a session and
    /// process group of its own that is killed once it exits or times out: a probe leaves nothing behind.
    /// Exit 0 passes.
    /// </summary>
    async Task<string?> CheckCommandAsync(string command, ActionSpec spec, long jobId, CancellationToken ct)
    {
        // setsid execs in place (a child of the server is not a group leader): pid = pgid.
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = spec.Cwd ?? paths.WorkDir(jobId), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "/bin/sh", "-c", command })
            start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (key, value) in ShimLauncher.BaseEnvironment.Concat(spec.Env ?? []))
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        finally
        {
            Native.Signal(-process.Id, Native.SigKill);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        // Every writer is gone with the group: the pipes end now.
        await stdout;
        return process.ExitCode == 0 ? null : $"exit {process.ExitCode}{Tail(await stderr)}";
    }

    static string Tail(string stderr) => string.IsNullOrWhiteSpace(stderr) ? "" : ": " + stderr.Trim().Split('\n')[^1];

    sealed class Stopper(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose() => stop.Cancel();
    }
}
