using System.Data;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>Reads services whole, with their actions and status, in the caller's read transaction.</summary>
public static class ServiceLoader
{
    public static async Task<IReadOnlyList<ServiceResponse>> LoadAsync(IDbTransaction tx, IReadOnlyList<ServiceRow> rows, ServiceStatusReader statuses)
    {
        var actions = await ActionRepository.ListByServicesAsync(tx, rows.Select(r => r.Name).ToList());
        var status = await statuses.ReadAsync(tx, rows, actions);
        return rows.Select(row => ServiceResponse.From(row, actions[row.Name], status[row.Name])).ToList();
    }

    /// <summary>
    /// The list's shape: no action specs to read and parse, except for services never started, whose
    /// status lists their process actions from the definition.
    /// </summary>
    public static async Task<IReadOnlyList<ServiceSummary>> LoadSummariesAsync(IDbTransaction tx, IReadOnlyList<ServiceRow> rows, ServiceStatusReader statuses)
    {
        var actions = await ActionRepository.ListByServicesAsync(tx, rows.Where(r => r.RunId is null).Select(r => r.Name).ToList());
        var status = await statuses.ReadAsync(tx, rows, actions);
        return rows.Select(row => ServiceSummary.From(row, status[row.Name])).ToList();
    }

    public static async Task<ServiceResponse?> LoadAsync(IDbTransaction tx, string name, ServiceStatusReader statuses) =>
        await ServiceRepository.GetAsync(tx, name) is { } row ? (await LoadAsync(tx, [row], statuses))[0] : null;

    /// <summary>The current (or last) run of each service that has one, by id.</summary>
    public static async Task<Dictionary<long, RunRow>> RunsOfAsync(IDbTransaction tx, IEnumerable<ServiceRow> services) =>
        (await RunRepository.GetManyAsync(tx, services.Where(s => s.RunId is not null).Select(s => s.RunId!.Value).ToList())).ToDictionary(r => r.Id);
}
