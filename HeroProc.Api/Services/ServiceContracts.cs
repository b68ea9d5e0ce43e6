using System.Text.Json.Serialization;
using FluentValidation;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Validation;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>The body of <c>PUT /api/services/{name}</c>: the whole definition, written in one transaction.</summary>
public sealed record ServiceDefinition
{
    public string? Description { get; init; }
    /// <summary>Hard requirements: started before this service; stopping one stops this service first.</summary>
    public List<string>? Requires { get; init; }
    /// <summary>Soft ordering only.</summary>
    public List<string>? After { get; init; }
    /// <summary>1–100 actions with unique names; dependsOn names actions of this service.</summary>
    public List<NamedActionSpec>? Actions { get; init; }
}

sealed class ServiceDefinitionValidator : AbstractValidator<ServiceDefinition>
{
    public ServiceDefinitionValidator()
    {
        RuleFor(d => d.Description).MaxUtf8Bytes(Limits.DescriptionBytes);
        RuleFor(d => d.Requires).Must(l => l is null || l.Count <= Limits.ServiceActions).WithMessage("at most 100 services");
        RuleForEach(d => d.Requires).MustBeResourceName();
        RuleFor(d => d.After).Must(l => l is null || l.Count <= Limits.ServiceActions).WithMessage("at most 100 services");
        RuleForEach(d => d.After).MustBeResourceName();
        RuleFor(d => d.Actions).Must(a => a is { Count: > 0 and <= Limits.ServiceActions })
            .WithMessage($"a service has 1 to {Limits.ServiceActions} actions");
        RuleForEach(d => d.Actions).NotNull().WithMessage("must be an action spec")
            .SetValidator(new NamedActionSpecValidator(SpecUse.ServiceAction));
        RuleFor(d => d.Actions).Custom(CheckActionGraph)
            .When(d => d.Actions is not null && d.Actions.All(a => a?.Name is not null && (a.DependsOn ?? []).All(n => n is not null)));
    }

    /// <summary>Unique names, dependencies inside the service, and no cycle among them.</summary>
    static void CheckActionGraph(List<NamedActionSpec>? actions, ValidationContext<ServiceDefinition> context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < actions!.Count; i++)
        {
            if (!names.Add(actions[i].Name!))
                context.AddFailure($"actions[{i}].name", $"action name '{actions[i].Name}' is used twice in this service");
        }
        for (var i = 0; i < actions.Count; i++)
        {
            foreach (var dependency in (actions[i].DependsOn ?? []).Where(d => !names.Contains(d)))
                context.AddFailure($"actions[{i}].dependsOn", $"action '{actions[i].Name}' depends on '{dependency}', which is not an action of this service");
        }
        var edges = actions.GroupBy(a => a.Name!).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)(g.First().DependsOn ?? []));
        if (DependencyGraph.FindCycle(edges) is { } cycle)
            context.AddFailure("actions", DependencyGraph.Describe(cycle));
    }
}

/// <summary>A service with its definition and status.</summary>
public sealed record ServiceResponse(
    string Name, string? Description, IReadOnlyList<string> Requires, IReadOnlyList<string> After,
    IReadOnlyList<NamedActionSpec> Actions, WantedStatus WantedStatus, ServiceStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ServiceResponse From(ServiceRow service, IEnumerable<ActionRow> actions, ServiceStatus status)
    {
        var prefix = service.Name + ".";
        var specs = actions.Select(a => ApiJson.Deserialize<NamedActionSpec>(a.SpecJson) with { Name = a.Name[prefix.Length..] }).ToList();
        return new ServiceResponse(
            service.Name, service.Description, ApiJson.Deserialize<List<string>>(service.RequiresJson),
            ApiJson.Deserialize<List<string>>(service.AfterJson), specs, service.WantedStatus, status,
            service.CreatedAt, service.UpdatedAt);
    }
}

/// <summary>A service in the list: the "status of everything" call.</summary>
public sealed record ServiceSummary(
    string Name, string? Description, IReadOnlyList<string> Requires, IReadOnlyList<string> After,
    WantedStatus WantedStatus, ServiceStatus Status)
{
    public static ServiceSummary From(ServiceRow service, ServiceStatus status) => new(
        service.Name, service.Description, ApiJson.Deserialize<List<string>>(service.RequiresJson),
        ApiJson.Deserialize<List<string>>(service.AfterJson), service.WantedStatus, status);
}

/// <summary>Observed state of a service (API.md "Service status"); sums are over its processes.</summary>
public sealed record ServiceStatus(
    ServiceState State, string? Reason, long? RunId, DateTimeOffset? Since, int? Pid, int Restarts, long? UptimeSecs,
    long? MemoryBytes, double? CpuPercent, int? LastExitCode, Health Health, IReadOnlyList<ProcessStatus> Processes);

/// <summary>One entry of a service's history (<c>GET /api/services/{name}/events</c>).</summary>
public sealed record ServiceEventResponse(string State, string? Action, DateTimeOffset At, string? Detail)
{
    public static ServiceEventResponse From(ServiceEventRow row) => new(row.State, row.Action, row.At, row.Detail);
}

public sealed record ProcessStatus(
    string Action, ServiceState State, int? Pid, int Restarts, long? UptimeSecs, long? MemoryBytes, double? CpuPercent,
    int? LastExitCode, Health Health);

public enum ServiceState
{
    [JsonStringEnumMemberName("inactive")] Inactive,
    [JsonStringEnumMemberName("starting")] Starting,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("degraded")] Degraded,
    [JsonStringEnumMemberName("backoff")] Backoff,
    [JsonStringEnumMemberName("stopping")] Stopping,
    [JsonStringEnumMemberName("stopped")] Stopped,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed,
}

public enum Health
{
    [JsonStringEnumMemberName("passing")] Passing,
    [JsonStringEnumMemberName("failing")] Failing,
    [JsonStringEnumMemberName("none")] None,
}

public sealed record ServiceListQuery(int? Limit, string? Cursor) : IPageQuery;

sealed class ServiceListQueryValidator : AbstractValidator<ServiceListQuery>
{
    public ServiceListQueryValidator() => this.AddPagingRules(idCursor: false);
}
