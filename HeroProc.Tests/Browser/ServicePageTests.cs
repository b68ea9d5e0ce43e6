using System.Net.Http.Json;
using HeroProc.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace HeroProc.Tests.Browser;

/// <summary>A service's page drives it: start, then stop, with the observed state shown live.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ServicePageTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [SkippableFact(Timeout = 90_000)]
    public async Task A_service_started_from_its_page_shows_running_then_stopped_after_stop()
    {
        Chromium.Require();
        await (await fixture.Server.Client.PutJsonAsync("/api/services/clock", new
        {
            description = "ticks",
            actions = new[] { new { name = "tick", kind = "process", script = "while true; do date; sleep 1; done" } },
        })).ExpectAsync(System.Net.HttpStatusCode.Created);
        await using var session = await fixture.OpenAsync("#/services/clock");
        var page = session.Page;
        var state = page.Locator(".service-state .badge");
        await Expect(state).ToHaveTextAsync("inactive");

        var start = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Start", Exact = true }).ClickAsync(),
            response => response.Url.EndsWith("/api/services/clock/start"));
        Assert.Equal(202, start.Status);
        await Expect(state).ToHaveTextAsync("running");
        var pid = (await fixture.Server.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/services/clock"))
            .GetProperty("status").GetProperty("pid").GetInt32();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync("stopped");
        Assert.Empty(Engine.ProcessTable.LiveInGroup(pid));
    }
}
