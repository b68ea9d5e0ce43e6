namespace HeroProc.Tests.Infrastructure;

/// <summary>Small request bodies the tests build on.</summary>
public static class Specs
{
    public static object Job(string name, string script = "true", params string[] dependsOn) =>
        new { name, script, dependsOn };

    public static object Run(int jobs, string prefix = "j") =>
        new { jobs = Enumerable.Range(1, jobs).Select(i => Job($"{prefix}{i}", $"echo {i}")).ToArray() };

    public static object Service(params string[] actions) =>
        new { actions = actions.Select(a => new { name = a, script = $"echo {a}" }).ToArray() };
}
