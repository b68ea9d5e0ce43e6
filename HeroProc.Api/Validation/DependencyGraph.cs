namespace HeroProc.Api.Validation;

/// <summary>Cycle detection over named nodes, for job DAGs and service ordering.</summary>
public static class DependencyGraph
{
    /// <summary>
    /// A cycle as a path that starts and ends at the same node (<c>a -> b -> a</c>), or null. Edges
    /// to nodes outside the graph are ignored. Iterative, so a 10,000-job chain cannot overflow the stack.
    /// </summary>
    public static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, IReadOnlyList<string>> edges)
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        foreach (var root in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (state.ContainsKey(root))
                continue;
            var path = new List<string> { root };
            var pending = new Stack<IEnumerator<string>>();
            pending.Push(edges[root].GetEnumerator());
            state[root] = false;
            while (pending.Count > 0)
            {
                var next = pending.Peek();
                if (!next.MoveNext())
                {
                    pending.Pop();
                    state[path[^1]] = true;
                    path.RemoveAt(path.Count - 1);
                    continue;
                }
                var node = next.Current;
                if (!edges.ContainsKey(node))
                    continue;
                if (state.TryGetValue(node, out var done))
                {
                    if (!done)
                        return [.. path[path.IndexOf(node)..], node];
                    continue;
                }
                state[node] = false;
                path.Add(node);
                pending.Push(edges[node].GetEnumerator());
            }
        }
        return null;
    }

    public static string Describe(IReadOnlyList<string> cycle) => "dependency cycle: " + string.Join(" -> ", cycle);
}
