using System.Data;
using System.Security.Cryptography;
using System.Text;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Validation;
using HeroProc.Data;

namespace HeroProc.Api.Runs;

/// <summary>What a submit came to.</summary>
public abstract record SubmitOutcome
{
    public sealed record Created(long RunId) : SubmitOutcome;
    /// <summary>A repeat of an earlier submit with the same idempotency key and body.</summary>
    public sealed record Replayed(long RunId) : SubmitOutcome;
    public sealed record Rejected(RequestErrors Errors) : SubmitOutcome;
    /// <summary>The idempotency key was used before with a different body.</summary>
    public sealed record KeyReused(string Key) : SubmitOutcome;
}

/// <summary>
/// Turns a submit into a run, inside the caller's write transaction: the idempotency key, every
/// check against stored rows, and the run with all its jobs and first events commit together or not at all.
/// </summary>
public static class RunSubmission
{
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    sealed record PlannedJob(string Name, string? Action, ActionSpec Spec, string Field);

    /// <param name="schedule">The schedule creating the run, if any; recorded on the run.</param>
    public static async Task<SubmitOutcome> SubmitAsync(
        IDbTransaction tx, SubmitRunRequest request, string? idempotencyKey, DateTimeOffset now, string? schedule = null)
    {
        var requestHash = idempotencyKey is null ? null : Hash(request);
        if (idempotencyKey is not null &&
            await IdempotencyRepository.FindLiveAsync(tx, idempotencyKey, now - IdempotencyWindow) is { } earlier)
        {
            return earlier.RequestHash == requestHash
                ? new SubmitOutcome.Replayed(earlier.RunId)
                : new SubmitOutcome.KeyReused(idempotencyKey);
        }

        var (jobs, errors) = await CheckAsync(tx, request);
        if (errors.Any)
            return new SubmitOutcome.Rejected(errors);

        var run = new RunRow
        {
            Name = request.Name,
            Schedule = schedule,
            Status = RunStatus.Pending,
            TagsJson = ApiJson.Serialize(request.Tags ?? []),
            EnvJson = ApiJson.Serialize(request.Env ?? []),
            MaxParallel = request.MaxParallel,
        };
        var rows = jobs.Select(j => new JobRow
        {
            Name = j.Name,
            Action = j.Action,
            Status = JobStatus.Pending,
            DependsOnJson = ApiJson.Serialize(j.Spec.DependsOn),
            SpecJson = ApiJson.Serialize(j.Spec),
        }).ToList();
        var runId = await RunRepository.InsertAsync(tx, run, rows, now);
        if (idempotencyKey is not null)
            await IdempotencyRepository.InsertAsync(tx, idempotencyKey, requestHash!, runId, now);
        return new SubmitOutcome.Created(runId);
    }

    /// <summary>The checks against stored rows a submit makes, without writing: also used to accept a schedule's run.</summary>
    static async Task<(List<PlannedJob> Jobs, RequestErrors Errors)> CheckAsync(IDbTransaction tx, SubmitRunRequest request)
    {
        var errors = new RequestErrors();
        var jobs = await PlanAsync(tx, request, errors);
        CheckDependencies(jobs, errors);
        await SecretChecks.MissingAsync(tx, jobs.SelectMany(j => j.Spec.Secrets!).ToList(), "secrets", errors);
        return (jobs, errors);
    }

    /// <summary>What a submit of <paramref name="request"/> would be refused for now (empty when it would be accepted).</summary>
    public static async Task<RequestErrors> ValidateAsync(IDbTransaction tx, SubmitRunRequest request) => (await CheckAsync(tx, request)).Errors;

    /// <summary>Stored actions (looked up in this transaction) first, then inline jobs, in the order given.</summary>
    static async Task<List<PlannedJob>> PlanAsync(IDbTransaction tx, SubmitRunRequest request, RequestErrors errors)
    {
        var names = request.Actions ?? [];
        var stored = (await ActionRepository.GetManyAsync(tx, names.Distinct().ToList()))
            .Where(a => a.Service is null)
            .ToDictionary(a => a.Name, StringComparer.Ordinal);
        var jobs = new List<PlannedJob>();
        for (var i = 0; i < names.Count; i++)
        {
            var field = $"actions[{i}]";
            if (!stored.TryGetValue(names[i], out var action))
            {
                errors.Add(field, $"there is no action named '{names[i]}'");
                continue;
            }
            var spec = ApiJson.Deserialize<ActionSpec>(action.SpecJson);
            if (spec.Kind == ActionKind.Process)
                errors.Add(field, $"action '{action.Name}' is a 'process': long-running processes belong to services, not runs");
            jobs.Add(new PlannedJob(action.Name, action.Name, spec, field));
        }
        var inline = request.Jobs ?? [];
        for (var i = 0; i < inline.Count; i++)
            jobs.Add(new PlannedJob(inline[i].Name!, null, ((ActionSpec)inline[i]).Normalized(), $"jobs[{i}]"));
        return jobs;
    }

    static void CheckDependencies(List<PlannedJob> jobs, RequestErrors errors)
    {
        var byName = new Dictionary<string, PlannedJob>(StringComparer.Ordinal);
        foreach (var job in jobs)
        {
            if (!byName.TryAdd(job.Name, job))
                errors.Add($"{job.Field}.name", $"job name '{job.Name}' is used twice in this run (also by {byName[job.Name].Field})");
        }
        foreach (var job in jobs)
        {
            foreach (var dependency in job.Spec.DependsOn!.Where(d => !byName.ContainsKey(d)))
                errors.Add($"{job.Field}.dependsOn", $"job '{job.Name}' depends on '{dependency}', which is not a job of this run");
        }
        var cycle = DependencyGraph.FindCycle(byName.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value.Spec.DependsOn!));
        if (cycle is not null)
            errors.Add("dependsOn", DependencyGraph.Describe(cycle));
    }

    /// <summary>Bodies are compared as parsed JSON: key order and whitespace do not matter.</summary>
    static string Hash(SubmitRunRequest request) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ApiJson.Canonical(request))));
}
