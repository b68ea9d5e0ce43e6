using System.Net;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests;

public class SmokeTests
{
    [Fact]
    public async Task Healthz_answers_ok_on_a_fresh_data_directory()
    {
        await using var app = new HeroProcApp();
        var client = app.Client();

        var response = await client.GetAsync("/healthz");

        await response.ExpectAsync(HttpStatusCode.OK);
        Assert.True(File.Exists(app.DatabasePath));
    }
}
