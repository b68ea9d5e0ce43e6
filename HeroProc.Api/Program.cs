using HeroProc.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddHeroProc();

var app = builder.Build();
await app.UseHeroProcAsync();
app.Run();

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
