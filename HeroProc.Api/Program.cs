using HeroProc.Api;
using HeroProc.Api.Security;

if (args.Contains("--self-check"))
    return await SelfCheck.RunAsync();

var builder = WebApplication.CreateBuilder(args);
builder.AddHeroProc();

var app = builder.Build();
try
{
    await app.UseHeroProcAsync();
}
catch (UnsafeListenException refused)
{
    await Console.Error.WriteLineAsync(refused.Message);
    return 1;
}
app.Run();
return 0;

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
