using HeroProc.Api.Validation;

namespace HeroProc.Tests.Data;

public class DependencyGraphTests
{
    static Dictionary<string, IReadOnlyList<string>> Graph(params (string Node, string[] Edges)[] nodes) =>
        nodes.ToDictionary(n => n.Node, n => (IReadOnlyList<string>)n.Edges);

    [Fact]
    public void A_diamond_has_no_cycle()
    {
        var graph = Graph(("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"]));

        Assert.Null(DependencyGraph.FindCycle(graph));
    }

    [Fact]
    public void A_cycle_is_returned_as_a_closed_path()
    {
        var graph = Graph(("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", ["a"]));

        var cycle = DependencyGraph.FindCycle(graph);

        Assert.Equal(["a", "c", "b", "a"], cycle);
    }

    [Fact]
    public void A_self_edge_is_a_cycle_and_edges_to_unknown_nodes_are_ignored()
    {
        Assert.Equal(["a", "a"], DependencyGraph.FindCycle(Graph(("a", ["a"]))));
        Assert.Null(DependencyGraph.FindCycle(Graph(("a", ["elsewhere"]))));
    }

    [Fact]
    public void A_chain_of_ten_thousand_does_not_overflow_the_stack()
    {
        var graph = Enumerable.Range(0, 10_000).ToDictionary(i => $"j{i}", i => (IReadOnlyList<string>)(i == 0 ? [] : [$"j{i - 1}"]));
        graph["j0"] = ["j9999"];

        var cycle = DependencyGraph.FindCycle(graph);

        Assert.Equal(10_001, cycle!.Count);
    }
}
