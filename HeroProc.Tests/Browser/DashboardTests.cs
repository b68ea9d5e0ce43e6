using HeroProc.Api.Runs;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace HeroProc.Tests.Browser;

/// <summary>
/// The dashboard in headless Chromium against the real server: what a person sees without reloading.
/// Jobs that must be seen running wait for a flag file the test creates, so no test depends on timing.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>, IDisposable
{
    readonly string _flags = Directory.CreateTempSubdirectory("heroproc-browser-").FullName;

    HttpClient Api => fixture.Server.Client;

    /// <summary>A shell line that blocks until the test calls <see cref="Release"/> with the same name.</summary>
    string WaitFor(string flag) => $"while [ ! -e '{Path.Combine(_flags, flag)}' ]; do sleep 0.05; done";

    void Release(string flag) => File.WriteAllText(Path.Combine(_flags, flag), "");

    [SkippableFact(Timeout = 90_000)]
    public async Task A_submitted_run_appears_in_the_runs_list_and_reaches_succeeded_without_a_reload()
    {
        Chromium.Require();
        await using var session = await fixture.OpenAsync("#/runs");
        var page = session.Page;
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs", Exact = true })).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.sameDocument = true; }");

        var run = await Api.SubmitAsync(new { name = "appears-live", jobs = new[] { Specs.Job("wait", WaitFor("appears")) } });
        var status = page.Locator($"tr[data-run-id='{run.Id}'] .badge");
        await Expect(status).ToHaveTextAsync("running");
        Release("appears");

        await Expect(status).ToHaveTextAsync("succeeded");
        await Expect(page.Locator($"tr[data-run-id='{run.Id}']")).ToContainTextAsync("appears-live");
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
    }

    [SkippableFact(Timeout = 90_000)]
    public async Task Log_lines_of_a_running_job_appear_live_with_stderr_marked_and_searchable()
    {
        Chromium.Require();
        var run = await Api.SubmitAsync(new
        {
            jobs = new[] { Specs.Job("talk", $"echo first-line; {WaitFor("talk")}; echo second-line >&2; echo third-line") },
        });
        await using var session = await fixture.OpenAsync($"#/runs/{run.Id}");
        var page = session.Page;
        var log = page.Locator(".log-view .log");

        await Expect(log.Locator(".line", new() { HasText = "first-line" })).ToHaveAttributeAsync("data-stream", "stdout");
        await Expect(page.Locator(".job-panel .title-row .badge")).ToHaveTextAsync("running");
        await Expect(log.Locator(".line", new() { HasText = "second-line" })).ToHaveCountAsync(0);
        Release("talk");

        await Expect(log.Locator(".line", new() { HasText = "second-line" })).ToHaveAttributeAsync("data-stream", "stderr");
        await Expect(log.Locator(".line", new() { HasText = "third-line" })).ToBeVisibleAsync();
        await Expect(page.Locator(".job-panel .title-row .badge")).ToHaveTextAsync("succeeded");
        await page.GetByLabel("Search the output").FillAsync("second");
        await Expect(log.Locator(".line")).ToHaveCountAsync(1);
        await Expect(log.Locator(".line mark")).ToHaveTextAsync("second");
    }

    [SkippableFact(Timeout = 90_000)]
    public async Task A_failing_job_shows_its_exit_code_and_its_stderr()
    {
        Chromium.Require();
        var run = await Api.SubmitAsync(new { name = "fails", jobs = new[] { Specs.Job("broken", "echo boom-on-stderr >&2; exit 3") } });

        await using var session = await fixture.OpenAsync($"#/runs/{run.Id}");
        var page = session.Page;

        await Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("failed");
        var row = page.Locator($"tr[data-job-id='{run.Jobs[0].Id}']");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("failed");
        await Expect(row.Locator("td.exit")).ToHaveTextAsync("exit 3");
        await Expect(page.Locator(".job-panel .exit")).ToHaveTextAsync("exit 3");
        await Expect(page.Locator(".log .line", new() { HasText = "boom-on-stderr" })).ToHaveAttributeAsync("data-stream", "stderr");
    }

    [SkippableFact(Timeout = 90_000)]
    public async Task Cancel_stops_a_running_job_and_leaves_no_process()
    {
        Chromium.Require();
        var marker = $"cancel-marker-{Guid.NewGuid():N}";
        var run = await Api.SubmitAsync(new { jobs = new[] { Specs.Job("sleeper", $"echo started; sleep 300; echo {marker}") } });
        await using var session = await fixture.OpenAsync($"#/runs/{run.Id}");
        var page = session.Page;
        await Expect(page.Locator(".log .line", new() { HasText = "started" })).ToBeVisibleAsync();
        var pid = (await Api.GetRunAsync(run.Id)).Jobs[0].Pid!.Value;
        Assert.NotEmpty(ProcessTable.LiveInGroup(pid));

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" }).ClickAsync();

        await Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("cancelled");
        await Expect(page.Locator($"tr[data-job-id='{run.Jobs[0].Id}'] .badge")).ToHaveTextAsync("cancelled");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        // A job is cancelled only once its process group has exited, so nothing may be left by now.
        Assert.Empty(ProcessTable.LiveInGroup(pid));
        Assert.Empty(ProcessTable.LiveWithMarker(marker));
    }

    [SkippableFact(Timeout = 90_000)]
    public async Task A_bad_submit_shows_the_servers_validation_message_next_to_the_field_it_names()
    {
        Chromium.Require();
        await using var session = await fixture.OpenAsync("#/submit");
        var page = session.Page;
        var runsBefore = await RunCountAsync();

        await page.Locator("#run-name").FillAsync(new string('x', 200));
        await page.Locator("#run-max-parallel").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit run" }).First.ClickAsync();

        await Expect(page.Locator("#run-name-error")).ToHaveTextAsync("must be 1–128 printable characters");
        await Expect(page.Locator("#run-name")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#run-max-parallel-error")).ToContainTextAsync("between 1 and 1000");
        await Expect(page.Locator("#run-actions-error")).ToContainTextAsync("a run has 1 to");
        await Expect(page.Locator("#run-tags")).Not.ToHaveAttributeAsync("aria-invalid", "true");

        await page.Locator("#run-json").FillAsync("""{ "jobs": [ { "name": "a", "script": "true", "dependsOn": ["ghost"] } ] }""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit run" }).Last.ClickAsync();

        await Expect(page.Locator("#run-json-error")).ToContainTextAsync("jobs[0].dependsOn: job 'a' depends on 'ghost'");
        Assert.Equal("#/submit", new Uri(page.Url).Fragment);
        Assert.Equal(runsBefore, await RunCountAsync());
    }

    [SkippableFact(Timeout = 90_000)]
    public async Task Picking_stored_actions_submits_a_run_that_is_shown_until_it_succeeds()
    {
        Chromium.Require();
        await (await Api.PutJsonAsync("/api/actions/greet", new { script = "echo hello-from-greet", description = "says hello" }))
            .ExpectAsync(System.Net.HttpStatusCode.Created);
        await using var session = await fixture.OpenAsync("#/submit");
        var page = session.Page;

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "greet" }).CheckAsync();
        await page.Locator("#run-name").FillAsync("picked");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit run" }).First.ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"#/runs/\d+"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("picked");
        await Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator(".log .line", new() { HasText = "hello-from-greet" })).ToBeVisibleAsync();
    }

    async Task<int> RunCountAsync() =>
        (await (await Api.GetAsync("/api/system")).ExpectAsync<HeroProc.Api.SystemEndpoints.SystemInfo>(System.Net.HttpStatusCode.OK)).Counts.Runs;

    public void Dispose()
    {
        try { Directory.Delete(_flags, recursive: true); } catch (IOException) { }
    }
}
