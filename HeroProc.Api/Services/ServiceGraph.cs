using HeroProc.Api.Http;
using HeroProc.Data;

namespace HeroProc.Api.Services;

/// <summary>The defined services with their <c>requires</c> and <c>after</c> edges, both ways.</summary>
public sealed class ServiceGraph
{
    readonly Dictionary<string, ServiceRow> _services;
    readonly Dictionary<string, IReadOnlyList<string>> _requires;
    readonly Dictionary<string, IReadOnlyList<string>> _after;
    readonly ILookup<string, string> _requiredBy;

    public ServiceGraph(IEnumerable<ServiceRow> services)
    {
        _services = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        _requires = _services.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)ApiJson.Deserialize<List<string>>(p.Value.RequiresJson), StringComparer.Ordinal);
        _after = _services.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)ApiJson.Deserialize<List<string>>(p.Value.AfterJson), StringComparer.Ordinal);
        _requiredBy = _requires.SelectMany(p => p.Value.Select(r => (Required: r, By: p.Key))).ToLookup(e => e.Required, e => e.By, StringComparer.Ordinal);
    }

    public IEnumerable<ServiceRow> All => _services.Values;

    public ServiceRow? Find(string name) => _services.GetValueOrDefault(name);

    public IReadOnlyList<string> Requires(string name) => _requires.GetValueOrDefault(name) ?? [];

    public IReadOnlyList<string> After(string name) => _after.GetValueOrDefault(name) ?? [];

    /// <summary>The services that require <paramref name="name"/> directly.</summary>
    public IEnumerable<string> RequiredBy(string name) => _requiredBy[name];

    /// <summary><paramref name="name"/> and everything it requires, transitively (names that are not defined included).</summary>
    public IReadOnlyList<string> WithRequirements(string name) => Closure(name, Requires);

    /// <summary><paramref name="name"/> and every service that requires it, transitively.</summary>
    public IReadOnlyList<string> WithDependents(string name) => Closure(name, RequiredBy);

    static IReadOnlyList<string> Closure(string start, Func<string, IEnumerable<string>> next)
    {
        var seen = new List<string>();
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var name))
        {
            if (seen.Contains(name))
                continue;
            seen.Add(name);
            foreach (var other in next(name))
                queue.Enqueue(other);
        }
        return seen;
    }
}
