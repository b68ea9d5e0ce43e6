using System.Data;
using HeroProc.Api.Http;
using HeroProc.Data;

namespace HeroProc.Api.Runs;

/// <summary>
/// A new run from a finished one: its failed, timed-out, cancelled and skipped jobs with their spec
/// snapshots, and the run's name, tags, env and maxParallel. Dependencies on jobs that succeeded in the
/// original are satisfied already, so they are dropped from the copies.
/// </summary>
public static class RunRetry
{
    public abstract record Outcome
    {
        public sealed record Created(long RunId) : Outcome;
        public sealed record NotFound : Outcome;
        public sealed record Conflict(string Detail) : Outcome;
    }

    static readonly JobStatus[] Retried = [JobStatus.Failed, JobStatus.TimedOut, JobStatus.Cancelled, JobStatus.Skipped];

    public static async Task<Outcome> RetryAsync(IDbTransaction tx, long runId, DateTimeOffset now)
    {
        var run = await RunRepository.GetAsync(tx, runId);
        if (run is null)
            return new Outcome.NotFound();
        if (run.Service is not null)
            return new Outcome.Conflict($"Run {runId} belongs to service '{run.Service}': restart the service instead.");
        if (!run.Status.IsFinished())
            return new Outcome.Conflict($"Run {runId} is {run.Status.ToText()}: only a finished run can be retried.");

        var jobs = await JobRepository.ListByRunAsync(tx, runId);
        var succeeded = jobs.Where(j => j.Status == JobStatus.Succeeded).Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
        var copies = jobs.Where(j => Retried.Contains(j.Status)).Select(j => new JobRow
        {
            Name = j.Name,
            Action = j.Action,
            Status = JobStatus.Pending,
            DependsOnJson = ApiJson.Serialize(ApiJson.Deserialize<List<string>>(j.DependsOnJson).Where(d => !succeeded.Contains(d)).ToList()),
            SpecJson = WithoutSucceededDependencies(j.SpecJson, succeeded),
        }).ToList();
        if (copies.Count == 0)
            return new Outcome.Conflict($"Run {runId} fully succeeded: there is nothing to retry.");

        var retry = run with { Id = 0, Status = RunStatus.Pending, RetryOf = runId };
        return new Outcome.Created(await RunRepository.InsertAsync(tx, retry, copies, now));
    }

    static string WithoutSucceededDependencies(string specJson, IReadOnlySet<string> succeeded)
    {
        var spec = ApiJson.Deserialize<Actions.ActionSpec>(specJson);
        return ApiJson.Serialize(spec with { DependsOn = spec.DependsOn?.Where(d => !succeeded.Contains(d)).ToList() });
    }
}
