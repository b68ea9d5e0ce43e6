using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace HeroProc.Tests.Browser;

/// <summary>
/// Every main page renders its data, and its picture is saved to docs/ (README's Dashboard section shows them).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ScreenshotTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    HttpClient Api => fixture.Server.Client;

    [SkippableFact(Timeout = 120_000)]
    public async Task The_main_pages_render_their_data_in_light_and_dark()
    {
        Chromium.Require();
        await (await Api.PutJsonAsync("/api/actions/build", new { script = "echo compiling; sleep 0.2; echo built", description = "build the app", tags = new[] { "ci" } }))
            .ExpectAsync(System.Net.HttpStatusCode.Created);
        await (await Api.PutJsonAsync("/api/services/web", new
        {
            description = "web frontend",
            actions = new object[] { new { name = "migrate", script = "echo migrated" }, new { name = "serve", kind = "process", script = "sleep 300", dependsOn = new[] { "migrate" } } },
        })).ExpectAsync(System.Net.HttpStatusCode.Created);
        await Api.RunToEndAsync(new { name = "nightly", actions = new[] { "build" }, tags = new[] { "nightly" } });
        var run = await Api.RunToEndAsync(new
        {
            name = "ci",
            actions = new[] { "build" },
            jobs = new object[]
            {
                Specs.Job("test", "echo 12 tests passed", "build"),
                Specs.Job("lint", "echo 'style: line too long' >&2; exit 1", "build"),
                Specs.Job("package", "echo packaged", "test", "lint"),
            },
            tags = new[] { "ci" },
        });

        await using var session = await fixture.OpenAsync("#/");
        var page = session.Page;
        await Expect(page.Locator("[data-count='failed']")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-count='succeeded']")).ToHaveTextAsync("1");
        await Expect(page.Locator("#live")).ToHaveTextAsync("Live");
        await SaveAsync(page, "overview");

        await page.GotoAsync("/#/runs");
        await Expect(page.Locator("table.runs tbody tr")).ToHaveCountAsync(2);
        await SaveAsync(page, "runs");

        await page.GotoAsync($"/#/runs/{run.Id}?job={run.Job("lint").Id}");
        await Expect(page.Locator("svg.dag .node")).ToHaveCountAsync(4);
        await Expect(page.Locator("svg.dag .node[data-job='package']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-skipped"));
        await Expect(page.Locator(".log .line", new() { HasText = "line too long" })).ToBeVisibleAsync();
        await Expect(page.Locator(".history tbody tr")).ToHaveCountAsync(4);
        await SaveAsync(page, "run-detail");

        await (await Api.PostAsync("/api/services/web/start", null)).ExpectAsync(System.Net.HttpStatusCode.Accepted);
        await page.GotoAsync("/#/services");
        await Expect(page.Locator("tr[data-service='web']")).ToContainTextAsync("running");
        await SaveAsync(page, "services");
        await page.GotoAsync("/#/services/web");
        await Expect(page.Locator(".service-state .badge")).ToHaveTextAsync("running");
        await SaveAsync(page, "service-detail");
        await (await Api.PostAsync("/api/services/web/stop", null)).ExpectAsync(System.Net.HttpStatusCode.Accepted);

        await page.GotoAsync("/#/submit");
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "build" })).ToBeVisibleAsync();
        await SaveAsync(page, "submit");

        await using var dark = await fixture.OpenAsync($"#/runs/{run.Id}?job={run.Job("lint").Id}", ColorScheme.Dark);
        await Expect(dark.Page.Locator(".log .line", new() { HasText = "line too long" })).ToBeVisibleAsync();
        await SaveAsync(dark.Page, "run-detail-dark");
    }

    static async Task SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(DashboardFixture.RepositoryRoot, "docs", $"dashboard-{name}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }
}
