using HeroProc.Tests.Infrastructure;
using Microsoft.Playwright;

namespace HeroProc.Tests.Browser;

/// <summary>
/// One real server (a child process on a temporary data directory) and one headless Chromium, shared by the
/// tests of a class; each test opens its own browser context, so storage and streams never leak between tests.
/// When Chromium is missing nothing starts, and each test skips (or fails on CI) through <see cref="Chromium.Require"/>.
/// </summary>
public class DashboardFixture : IAsyncLifetime
{
    IPlaywright? _playwright;
    IBrowser? _browser;

    /// <summary>Server configuration keys such as <c>HeroProc:Auth:Tokens:0</c>.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public ServerProcess Server { get; private set; } = null!;

    /// <summary>The repository's root, where docs/ keeps the screenshots README shows.</summary>
    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));

    public async Task InitializeAsync()
    {
        if (Chromium.MissingReason is not null)
            return;
        Server = new ServerProcess(Settings);
        await Server.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath, Headless = true, Args = Chromium.Arguments(),
        });
        // Live updates arrive within a second or two; the margin is for a loaded CI machine.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A fresh browser context (own localStorage) with the dashboard open at <paramref name="hash"/> (e.g. "#/runs").</summary>
    public async Task<DashboardSession> OpenAsync(string hash, ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = $"http://127.0.0.1:{Server.Port}",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ColorScheme = colorScheme,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/" + hash);
        return new DashboardSession(context, page);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.CloseAsync();
        _playwright?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>The server with a bearer token configured.</summary>
public sealed class AuthDashboardFixture : DashboardFixture
{
    public const string Token = "browser-test-token-0123456789abcdef";

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["HeroProc:Auth:Tokens:0"] = Token };
}

/// <summary>One test's browser context and page; disposing it closes both (and the page's event streams).</summary>
public sealed record DashboardSession(IBrowserContext Context, IPage Page) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Context.DisposeAsync();
}

/// <summary>
/// The browser test classes run one after the other (each class still has its own server and browser): a
/// Chromium per class at once would crowd a 2-core machine and slow the timing-sensitive tests beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}
