using System.Net.Http.Headers;
using HeroProc.Tests.Engine;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace HeroProc.Tests.Browser;

/// <summary>With a token configured, the dashboard asks for it, keeps it, and streams with it (access_token).</summary>
[Collection(BrowserCollection.Name)]
public sealed class AuthPromptTests(AuthDashboardFixture fixture) : IClassFixture<AuthDashboardFixture>
{
    [SkippableFact(Timeout = 90_000)]
    public async Task A_missing_or_wrong_token_brings_the_prompt_and_the_right_one_loads_data_and_live_events()
    {
        Chromium.Require();
        var api = fixture.Server.Client;
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuthDashboardFixture.Token);
        var first = await api.SubmitAsync(new { name = "before-sign-in", jobs = new[] { new { name = "a", script = "true" } } });

        await using var session = await fixture.OpenAsync("#/runs");
        var page = session.Page;
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Access token" });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Locator($"tr[data-run-id='{first.Id}']")).ToHaveCountAsync(0);

        await dialog.GetByLabel("Token").FillAsync("not-the-token");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use this token" }).ClickAsync();
        await Expect(page.Locator("#token-error")).ToContainTextAsync("refused");
        await Expect(dialog).ToBeVisibleAsync();

        await dialog.GetByLabel("Token").FillAsync(AuthDashboardFixture.Token);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use this token" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator($"tr[data-run-id='{first.Id}']")).ToContainTextAsync("before-sign-in");

        // The event stream authenticates with access_token: a run submitted now shows up without a reload.
        await Expect(page.Locator("#live")).ToHaveTextAsync("Live");
        var second = await api.SubmitAsync(new { name = "after-sign-in", jobs = new[] { new { name = "a", script = "true" } } });
        await Expect(page.Locator($"tr[data-run-id='{second.Id}'] .badge")).ToHaveTextAsync("succeeded");

        // The token is kept: a new load asks for nothing.
        await page.ReloadAsync();
        await Expect(page.Locator($"tr[data-run-id='{second.Id}']")).ToBeVisibleAsync();
        await Expect(dialog).ToBeHiddenAsync();
    }
}
