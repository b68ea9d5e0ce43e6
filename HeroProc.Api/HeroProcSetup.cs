using System.Reflection;
using FluentValidation;
using HeroProc.Api.Actions;
using HeroProc.Api.Http;
using HeroProc.Api.Jobs;
using HeroProc.Api.Runs;
using HeroProc.Api.Schedules;
using HeroProc.Api.Secrets;
using HeroProc.Api.Security;
using Microsoft.AspNetCore.DataProtection;
using Prometheus;
using HeroProc.Api.Services;
using HeroProc.Api.Supervision;
using HeroProc.Api.SystemEndpoints;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace HeroProc.Api;

/// <summary>Service registration and the request pipeline, kept out of Program.cs so it stays short.</summary>
public static class HeroProcSetup
{
    const string DefaultUrl = "http://127.0.0.1:5180";

    public static WebApplicationBuilder AddHeroProc(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(DefaultUrl);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Validation.Limits.RequestBodyBytes);

        // Structured logs: scopes carry run, job and attempt ids. No log line holds a secret: values are
        // only decrypted into a job's environment, which is never logged.
        builder.Logging.AddSimpleConsole(console => { console.IncludeScopes = true; console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; console.UseUtcTimestamp = true; });

        var services = builder.Services;
        services.Configure<HeroProcOptions>(builder.Configuration.GetSection(HeroProcOptions.Section));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ServerClock>();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<HeroProcOptions>>().Value;
            return new Db(Path.Combine(DataDirectory.Ensure(options.DataDir), "heroproc.db"), options.Durability);
        });

        services.AddSingleton(provider => new JobPaths(Path.GetDirectoryName(provider.GetRequiredService<Db>().DatabasePath)!));
        services.AddSingleton<EventHub>();
        services.AddSingleton<SecretVault>();
        services.AddSingleton<ServerMetrics>();
        services.AddDataProtection().SetApplicationName("HeroProc");
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<Db>((keys, db) => keys.XmlRepository = new Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository(new DirectoryInfo(
                DataDirectory.Ensure(Path.Combine(Path.GetDirectoryName(db.DatabasePath)!, "keys"))), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        services.AddSingleton<ChangePublisher>();
        services.AddSingleton<SchedulerSignal>();
        services.AddSingleton<SystemState>();
        services.AddSingleton<ActiveAttempts>();
        services.AddSingleton<LogSignals>();
        services.AddSingleton<ShimLauncher>();
        services.AddSingleton<AttemptRunner>();
        services.AddSingleton<LogRetention>();
        services.AddSingleton<StartupRecovery>();
        services.AddSingleton<ProcessExitWatcher>();
        services.AddSingleton<JobControl>();
        services.AddSingleton<JobLogs>();
        services.AddSingleton<RunLogs>();
        services.AddSingleton<JobScheduler>();
        services.AddHostedService(provider => provider.GetRequiredService<JobScheduler>());
        services.AddSingleton<ServiceSignal>();
        services.AddSingleton<ServiceControl>();
        services.AddSingleton<ServiceStatusReader>();
        services.AddSingleton<ProbeRunner>();
        services.AddSingleton<ProcessSampler>();
        services.AddHostedService(provider => provider.GetRequiredService<ProcessSampler>());
        services.AddSingleton<ServiceSupervisor>();
        services.AddHostedService(provider => provider.GetRequiredService<ServiceSupervisor>());
        services.AddSingleton<FinishedRunDeletion>();
        services.AddSingleton<ScheduleSignal>();
        services.AddHostedService<ScheduleRunner>();
        services.AddSingleton<FluentValidation.IValidator<ScheduleSpec>, ScheduleSpecValidator>();
        services.AddHostedService<RunRetention>();

        services.Configure<JsonOptions>(options => ApiJson.Configure(options.SerializerOptions));
        // Swashbuckle describes schemas with MVC's JSON options, so they must match the real ones.
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(options => ApiJson.Configure(options.JsonSerializerOptions));
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();

        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) => member is null ? null : CamelCase(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : CamelCase(member.Name);
        services.AddValidatorsFromAssemblyContaining<HeroProcOptions>(
            ServiceLifetime.Singleton, filter: scan => scan.ValidatorType.GetConstructor(Type.EmptyTypes) is not null,
            includeInternalTypes: true);

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc("v1", new() { Title = "HeroProc", Version = "v1", Description = ApiDescription });
            swagger.OperationFilter<ProblemResponsesFilter>();
            swagger.OperationFilter<CamelCaseQueryFilter>();
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
                swagger.IncludeXmlComments(xml);
        });
        return builder;
    }

    public static async Task UseHeroProcAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<HeroProcOptions>>().Value;
        var urls = (app.Configuration[WebHostDefaults.ServerUrlsKey] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Concat(app.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        ListenGuard.EnsureSafe(urls, options);
        await app.Services.GetRequiredService<Db>().MigrateAsync();
        app.Services.GetRequiredService<ServerClock>();  // uptime counts from here, not from the first /api/system

        app.UseExceptionHandler();
        app.UseStatusCodePages(StatusCodeProblems.WriteAsync);
        app.UseRequestBodyLimit();
        app.UseBearerTokens();
        app.UseDashboard();
        app.UseHttpMetrics(options => options.SetMetricFactory(Metrics.WithCustomRegistry(app.Services.GetRequiredService<ServerMetrics>().Registry)));
        app.UseSwagger();
        app.UseSwaggerUI();

        app.MapActions();
        app.MapRuns();
        app.MapJobs();
        app.MapServices();
        app.MapSecrets();
        app.MapSchedules();
        app.MapSystem();
        app.MapEvents();
        app.MapServerMetrics();
    }

    /// <summary>
    /// The dashboard: static files from the wwwroot copied beside the binary, so a server started from any working
    /// directory serves it. It comes after the token check, which leaves every path outside /api and /metrics open:
    /// the page holds no data and must load to ask for a token. Browsers revalidate (no-cache), so an upgrade is
    /// never half old modules, half new.
    /// </summary>
    static void UseDashboard(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
            return;  // a build without the dashboard still serves the API
        var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    static string CamelCase(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);

    const string ApiDescription =
        "HeroProc runs and supervises OS processes. Errors are RFC 9457 problem documents: 400 invalid input " +
        "(a validation problem names each field in 'errors'), 404 unknown resource or malformed id, 409 state conflict, " +
        "413 body over 1 MiB, 422 idempotency-key reuse with a different body; a rejected request writes nothing. " +
        "Lists take 'limit' (1–500, default 50) and an opaque 'cursor', and answer { items, nextCursor }. " +
        "Unknown JSON fields are rejected with a 400 that names them.";
}

/// <summary>The data directory: created, and kept, private to the server's user (0700).</summary>
static class DataDirectory
{
    public static string Ensure(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(full);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return full;
    }
}
