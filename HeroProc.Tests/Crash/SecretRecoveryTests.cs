using System.Net;
using HeroProc.Tests.Engine;
using HeroProc.Tests.Infrastructure;

namespace HeroProc.Tests.Crash;

public class SecretRecoveryTests
{
    [Fact(Timeout = 120_000)]
    public async Task An_adopted_job_is_masked_with_the_secrets_it_was_given_even_if_they_were_deleted_meanwhile()
    {
        const string value = "adopted-secret-Xy77";
        await using var server = new ServerProcess();
        await server.StartAsync();
        var client = server.Client;
        var gate = Path.Combine(server.DataDir, "gate");
        await (await client.PutJsonAsync("/api/secrets/API_TOKEN", new { value })).ExpectAsync(HttpStatusCode.Created);
        var run = await client.SubmitAsync(new
        {
            jobs = new[] { new { name = "late", script = $"while [ ! -e {gate} ]; do sleep 0.05; done; echo \"v=$API_TOKEN\"", secrets = new[] { "API_TOKEN" } } },
        });
        await client.WaitForPidAsync(run.Jobs[0].Id);

        await server.KillAsync();
        await server.ExecuteSqlAsync("DELETE FROM secrets");
        await server.StartAsync();
        await File.WriteAllTextAsync(gate, "");
        var ended = await client.WaitForRunEndAsync(run.Id);

        Assert.Equal(["v=***"], (await client.AllLogsAsync(ended.Jobs[0].Id)).Select(l => l.Text));
    }
}
