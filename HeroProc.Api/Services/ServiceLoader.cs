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

    public static async Task<IReadOnlyList<ServiceResponse>> LoadAsync(IDbTransaction tx, IReadOnlyCollection<string> names, ServiceStatusReader statuses) =>
        await LoadAsync(tx, await ServiceRepository.GetManyAsync(tx, names), statuses);

    public static async Task<ServiceResponse?> LoadAsync(IDbTransaction tx, string name, ServiceStatusReader statuses) =>
        (await LoadAsync(tx, [name], statuses)).SingleOrDefault();
}
