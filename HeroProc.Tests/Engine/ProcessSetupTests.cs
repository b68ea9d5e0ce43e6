using HeroProc.Data;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Engine;

/// <summary>What a job's process gets: its environment in layers, its working directory, its interpreter.</summary>
public class ProcessSetupTests
{
    static readonly string[] Base = ["PATH", "HOME", "LANG", "USER"];

    [Fact(Timeout = 60_000)]
    public async Task The_environment_is_the_base_then_the_actions_env_then_the_runs_env_and_nothing_of_the_servers()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        var run = await client.RunToEndAsync(new
        {
            env = new Dictionary<string, string> { ["B"] = "from run", ["C"] = "from run", ["HOME"] = "/run-home" },
            jobs = new[]
            {
                new { name = "env", script = "env", env = new Dictionary<string, string> { ["A"] = "from action", ["B"] = "from action" } },
                new { name = "plain", script = "env", env = new Dictionary<string, string>() },
            },
        });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var env = Parse(await client.AllLogsAsync(run.Job("env").Id));
        Assert.Equal("from action", env["A"]);
        Assert.Equal("from run", env["B"]);
        Assert.Equal("from run", env["C"]);
        Assert.Equal("/run-home", env["HOME"]);
        var plain = Parse(await client.AllLogsAsync(run.Job("plain").Id));
        Assert.All(Base, name => Assert.False(string.IsNullOrEmpty(plain.GetValueOrDefault(name)), $"{name} is in the base environment"));
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), plain["PATH"]);
        Assert.Equal("from run", plain["B"]);
        // Whatever else the server's own process has (tokens, connection strings...) stays out.
        var shellOwn = new[] { "PWD", "OLDPWD", "SHLVL", "_" };
        var leaked = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => !Base.Contains(name) && !shellOwn.Contains(name) && plain.ContainsKey(name)).ToList();
        Assert.Empty(leaked);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_working_directory_is_the_given_one_or_a_fresh_directory_per_job_under_the_data_dir()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var given = Directory.CreateTempSubdirectory("heroproc-cwd-").FullName;
        try
        {
            var run = await client.RunToEndAsync(new
            {
                jobs = new object[]
                {
                    new { name = "given", script = "pwd -P; touch made-here", cwd = given },
                    new { name = "default1", script = "pwd -P; ls -A" },
                    new { name = "default2", script = "pwd -P; touch made-here" },
                },
            });

            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.Equal([given], (await client.AllLogsAsync(run.Job("given").Id)).Texts("stdout"));
            Assert.True(File.Exists(Path.Combine(given, "made-here")));
            var first = (await client.AllLogsAsync(run.Job("default1").Id)).Texts("stdout");
            var second = (await client.AllLogsAsync(run.Job("default2").Id)).Texts("stdout");
            Assert.Single(first);
            Assert.StartsWith(Path.GetFullPath(app.DataDir) + "/", first[0]);
            Assert.StartsWith(Path.GetFullPath(app.DataDir) + "/", second[0]);
            Assert.NotEqual(first[0], second[0]);
            Assert.True(File.Exists(Path.Combine(second[0], "made-here")), "the job wrote into its own directory");
        }
        finally
        {
            Directory.Delete(given, recursive: true);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Each_interpreter_runs_the_script_as_written()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var jobs = new List<object>
        {
            new { name = "sh", script = "echo \"sh $((6 * 7))\"" },
            new { name = "bash", interpreter = "bash", script = "words=(x y z); echo \"bash ${#words[@]} ${words[1]} ${BASH_VERSION:+has-version}\"" },
            new { name = "exec", interpreter = "exec", script = "printf '%s|' \"a b\" c '$HOME' \"*\"" },
        };
        var python = HasProgram("python3");
        if (python)
            jobs.Add(new { name = "python", interpreter = "python3", script = "import sys\nprint('python', 6 * 7)\nprint('to stderr', file=sys.stderr)" });

        var run = await client.RunToEndAsync(new { jobs });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["sh 42"], (await client.AllLogsAsync(run.Job("sh").Id)).Texts("stdout"));
        Assert.Equal(["bash 3 y has-version"], (await client.AllLogsAsync(run.Job("bash").Id)).Texts("stdout"));
        // exec: argv split like a shell would, but nothing expanded, and no shell in between.
        Assert.Equal(["a b|c|$HOME|*|"], (await client.AllLogsAsync(run.Job("exec").Id)).Texts("stdout"));
        if (python)
        {
            var lines = await client.AllLogsAsync(run.Job("python").Id);
            Assert.Equal(["python 42"], lines.Texts("stdout"));
            Assert.Equal(["to stderr"], lines.Texts("stderr"));
        }
    }

    [Fact(Timeout = 60_000)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_executable_script_without_a_shebang_runs_with_sh_as_execvp_would()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var script = Path.Combine(app.SharedDir(), "no-shebang");
        File.WriteAllText(script, "echo \"sh ran $0 with $1\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var run = await client.RunToEndAsync(new { jobs = new[] { new { name = "plain", interpreter = "exec", script = $"{script} first" } } });

        Assert.Equal(JobStatus.Succeeded, run.Job("plain").Status);
        Assert.Equal([$"sh ran {script} with first"], (await client.AllLogsAsync(run.Job("plain").Id)).Texts("stdout"));
    }

    [Fact(Timeout = 60_000)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_relative_PATH_entry_is_searched_from_the_job_s_working_directory_as_a_shell_would()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();
        var cwd = Path.Combine(app.SharedDir(), "project");
        Directory.CreateDirectory(Path.Combine(cwd, "tools"));
        var tool = Path.Combine(cwd, "tools", "greet");
        File.WriteAllText(tool, "#!/bin/sh\necho \"greet from $(pwd)\"\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var run = await client.RunToEndAsync(new
        {
            jobs = new[] { new { name = "tool", interpreter = "exec", script = "greet", cwd, env = new Dictionary<string, string> { ["PATH"] = "tools:/usr/bin:/bin" } } },
        });

        Assert.Equal(JobStatus.Succeeded, run.Job("tool").Status);
        Assert.Equal([$"greet from {cwd}"], (await client.AllLogsAsync(run.Job("tool").Id)).Texts("stdout"));
    }

    static Dictionary<string, string> Parse(IEnumerable<HeroProc.Api.Jobs.LogLineResponse> lines) =>
        lines.Where(l => l.Stream == "stdout" && l.Text.Contains('='))
            .Select(l => l.Text.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);

    static bool HasProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, name)));
}
