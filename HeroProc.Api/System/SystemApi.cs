using System.Reflection;
using FluentValidation;
using HeroProc.Api.Supervision;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;

// Not HeroProc.Api.System: that would shadow the System namespace in every sibling.
namespace HeroProc.Api.SystemEndpoints;

public static class SystemApi
{
    public static IEndpointRouteBuilder MapSystem(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok")))
            .WithTags("System").WithSummary("Liveness: the process answers. Needs no auth.");
        routes.MapGet("/readyz", Ready).WithTags("System")
            .WithSummary("Readiness: the database answers and the supervisor loop runs (recovery done). Needs no auth; 503 when not ready.")
            .ProducesProblem(503);

        var group = routes.MapGroup("/api/system").WithTags("System").WithValidation();
        group.MapGet("/", Info).WithSummary("Version, uptime, counts, database size, paused, and the last start's recovery counts.");
        group.MapPost("/wipe", Wipe).WithSummary("Delete all runs, jobs and logs in one transaction.")
            .WithDescription("Needs { \"confirm\": \"wipe\" }. Services keep their definitions, with wantedStatus set to 'stop'. " +
                             "With ?definitions=true, actions, services and schedules are deleted too.");
        group.MapPost("/backup", Backup).WithSummary("Write a consistent copy of the database (VACUUM INTO) into the data directory's backups/.");
        group.MapPost("/pause", Pause).WithSummary("Pause: no new job starts; submits are still accepted and running jobs carry on.");
        group.MapPost("/resume", Resume).WithSummary("Resume starting jobs.");
        return routes;
    }

    public static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> Ready(Db db, JobScheduler scheduler, CancellationToken ct)
    {
        try
        {
            await db.ReadAsync(SystemRepository.PingAsync, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return TypedResults.Problem($"The database does not answer: {e.Message}", statusCode: 503, title: "Not ready");
        }
        return scheduler.Alive
            ? TypedResults.Ok(new HealthResponse("ready"))
            : TypedResults.Problem("The supervisor loop is not running (recovery in progress, or stopped).", statusCode: 503, title: "Not ready");
    }

    public static async Task<Ok<SystemInfo>> Info(Db db, ServerClock server, SystemState state, StartupRecovery recovery,
        TimeProvider clock, CancellationToken ct)
    {
        var counts = await db.ReadAsync(SystemRepository.CountsAsync, ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new SystemInfo(
            Version, server.StartedAt, (long)(now - server.StartedAt).TotalSeconds, counts, db.SizeBytes(),
            state.Paused, recovery.Counts));
    }

    public static async Task<Created<BackupResponse>> Backup(Db db, TimeProvider clock, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetDirectoryName(db.DatabasePath)!, "backups");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"heroproc-{clock.GetUtcNow():yyyyMMdd'T'HHmmss'.'fff'Z'}-{Guid.NewGuid().ToString("N")[..6]}.db");
        var bytes = await db.BackupAsync(file, ct);
        return TypedResults.Created($"/api/system/backup", new BackupResponse(file, bytes));
    }

    public static async Task<Accepted> Pause(SystemState state, CancellationToken ct)
    {
        await state.SetPausedAsync(true, ct);
        return TypedResults.Accepted("/api/system");
    }

    public static async Task<Accepted> Resume(SystemState state, CancellationToken ct)
    {
        await state.SetPausedAsync(false, ct);
        return TypedResults.Accepted("/api/system");
    }

    /// <summary>Jobs get their stop signal, then SIGKILL after at most this long.</summary>
    static readonly TimeSpan WipeStopTimeout = TimeSpan.FromSeconds(10);

    public static async Task<Results<Ok<WipeResponse>, ProblemHttpResult>> Wipe(WipeRequest request, bool? definitions, Db db,
        JobControl control, JobPaths paths, SystemState state, SchedulerSignal scheduler, Services.ServiceSignal services, TimeProvider clock, CancellationToken ct)
    {
        state.Wiping = true;
        try
        {
            // Services first: none may be started again while its processes are being stopped.
            await db.InTransactionAsync(tx => ServiceRepository.StopAllAsync(tx, clock.GetUtcNow()), ct);
            // A job claimed just as the wipe began may start after the first sweep: sweep until none runs.
            for (var sweep = 0; sweep < 3; sweep++)
            {
                await control.StopAllAsync(WipeStopTimeout, ct);
                var deleted = await db.InTransactionAsync(async tx =>
                {
                    if (await JobStateRepository.CountActiveAsync(tx, includeProcesses: true) > 0)
                        return null;
                    var (runs, jobs) = await RunRepository.DeleteAllAsync(tx);
                    if (definitions != true)
                        return new WipeCounts(runs, jobs, null, null, null);
                    var schedules = await DefinitionLookups.DeleteAllSchedulesAsync(tx);
                    // Actions first: deleting a service first would take its actions along uncounted.
                    var actions = await ActionRepository.DeleteAllAsync(tx);
                    var services = await ServiceRepository.DeleteAllAsync(tx);
                    return new WipeCounts(runs, jobs, actions, services, schedules);
                }, ct);
                if (deleted is not null)
                {
                    paths.DeleteAllJobFiles();
                    return TypedResults.Ok(new WipeResponse(deleted));
                }
            }
            return TypedResults.Problem("Some jobs did not stop in time; nothing was deleted. Try again.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Jobs still stopping");
        }
        finally
        {
            state.Wiping = false;
            scheduler.Wake();
            services.Wake();
        }
    }

    static string Version { get; } =
        typeof(SystemApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}

/// <summary>When this server process started, for uptime.</summary>
public sealed class ServerClock(TimeProvider clock)
{
    public DateTimeOffset StartedAt { get; } = clock.GetUtcNow();
}

public sealed record HealthResponse(string Status);

public sealed record BackupResponse(string File, long Bytes);

public sealed record SystemInfo(
    string Version, DateTimeOffset StartedAt, long UptimeSecs, TableCounts Counts, long DatabaseBytes, bool Paused,
    RecoveryCounts Recovery);

public sealed record WipeRequest(string? Confirm);

sealed class WipeRequestValidator : AbstractValidator<WipeRequest>
{
    public WipeRequestValidator() => RuleFor(r => r.Confirm).Equal("wipe").WithMessage("must be \"wipe\"");
}

/// <summary>What a wipe deleted; the definition counts are null unless definitions were wiped too.</summary>
public sealed record WipeCounts(int Runs, int Jobs, int? Actions, int? Services, int? Schedules);

public sealed record WipeResponse(WipeCounts Deleted);
