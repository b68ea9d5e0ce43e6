namespace HeroProc.Tests.Browser;

/// <summary>
/// Debian's Chromium (<c>apt-get install -y chromium</c>), driven by Playwright: Playwright's own browser
/// download cannot work on a machine without internet access, so tests launch the installed one.
/// </summary>
static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static string? MissingReason => File.Exists(ExecutablePath)
        ? null
        : $"Chromium is not installed at {ExecutablePath} (apt-get install -y chromium)";

    /// <summary>Skips the test when Chromium is missing, except on CI (CI=true), where a missing browser is a failure.</summary>
    public static void Require()
    {
        if (MissingReason is not { } reason)
            return;
        if (Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail($"{reason}; CI=true, so the browser tests fail instead of skipping.");
        Skip.If(true, reason);
    }

    /// <summary>
    /// Headless, and without the background services whose connections a closed network refuses;
    /// Chromium's sandbox cannot start as root.
    /// </summary>
    public static IEnumerable<string> Arguments() =>
    [
        "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        .. Environment.UserName == "root" ? ["--no-sandbox"] : Array.Empty<string>(),
    ];
}
