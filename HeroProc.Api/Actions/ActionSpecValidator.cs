using FluentValidation;
using HeroProc.Api.Validation;

namespace HeroProc.Api.Actions;

/// <summary>Where a spec is used decides what it may be: runs hold no long-running processes.</summary>
public enum SpecUse { StandaloneAction, RunJob, ServiceAction }

/// <summary>The shape rules of an action spec (API.md "Limits"). Rules against other rows run in the write transaction.</summary>
public class ActionSpecValidator<T> : AbstractValidator<T> where T : ActionSpec
{
    public ActionSpecValidator(SpecUse use)
    {
        RuleFor(s => s.Description).MaxUtf8Bytes(Limits.DescriptionBytes);
        RuleFor(s => s.Script).NotEmpty().WithMessage("is required and must not be empty")
            .MaxUtf8Bytes(Limits.ScriptBytes).MustHaveNoNul();
        RuleFor(s => s.Script).Must(script => !CommandLine.TrySplit(script!, out var argv) || argv.Count > 0)
            .When(s => s.Interpreter == Interpreter.Exec && !string.IsNullOrEmpty(s.Script))
            .WithMessage("must hold a command for interpreter 'exec'");
        RuleFor(s => s.Script).Must(script => CommandLine.TrySplit(script!, out _))
            .When(s => s.Interpreter == Interpreter.Exec && !string.IsNullOrEmpty(s.Script))
            .WithMessage("has an unterminated quote");
        RuleFor(s => s.Cwd).Must(cwd => Path.IsPathFullyQualified(cwd!)).When(s => s.Cwd is not null)
            .WithMessage("must be an absolute path").MaxUtf8Bytes(Limits.PathBytes).MustHaveNoNul();
        RuleFor(s => s.Env).MustBeEnv();
        RuleForEach(s => s.Secrets).Must(name => name is not null && Names.Secret().IsMatch(name))
            .WithMessage("must be a secret name (^[A-Za-z_][A-Za-z0-9_]{0,127}$)");
        RuleFor(s => s.Secrets).Must(list => list is null || list.Count <= Limits.EnvEntries)
            .WithMessage($"at most {Limits.EnvEntries} secrets are allowed");
        RuleFor(s => s.TimeoutSecs).InclusiveBetween(0, Limits.MaxTimeoutSecs);
        RuleFor(s => s.Retry!).SetValidator(new RetryPolicyValidator()).When(s => s.Retry is not null);
        RuleFor(s => s.DependsOn).Must(list => list is null || list.Count <= Limits.JobsPerRun)
            .WithMessage($"at most {Limits.JobsPerRun} dependencies are allowed");
        RuleForEach(s => s.DependsOn).MustBeResourceName();
        RuleFor(s => s.StopTimeoutSecs).InclusiveBetween(0, Limits.MaxStopTimeoutSecs);
        RuleFor(s => s.Tags).MustBeTags();

        if (use == SpecUse.RunJob)
            RuleFor(s => s.Kind).NotEqual(ActionKind.Process)
                .WithMessage("'process' is not allowed in a run: long-running processes belong to services");

        var isProcess = (T s) => s.Kind == ActionKind.Process;
        RuleFor(s => s.Restart).Must(r => r is null or RestartMode.Never).Unless(isProcess)
            .WithMessage("a oneshot accepts only 'never'");
        RuleFor(s => s.RestartPolicy).Null().Unless(isProcess).WithMessage("is for kind 'process' only");
        RuleFor(s => s.Probe).Null().Unless(isProcess).WithMessage("is for kind 'process' only");
        RuleFor(s => s.RestartPolicy!).SetValidator(new RestartPolicyValidator()).When(s => isProcess(s) && s.RestartPolicy is not null);
        RuleFor(s => s.Probe!).SetValidator(new ProbeValidator()).When(s => isProcess(s) && s.Probe is not null);
    }
}

/// <summary>A spec with its name, as an inline job of a run or an action of a service.</summary>
public sealed class NamedActionSpecValidator : ActionSpecValidator<NamedActionSpec>
{
    public NamedActionSpecValidator(SpecUse use) : base(use)
    {
        RuleFor(s => s.Name).NotNull().WithMessage("is required").MustBeResourceName();
        RuleFor(s => s.DependsOn).Must((spec, deps) => deps is null || spec.Name is null || !deps.Contains(spec.Name))
            .WithMessage("must not name the job itself");
    }
}

public sealed class StandaloneActionSpecValidator() : ActionSpecValidator<ActionSpec>(SpecUse.StandaloneAction);

sealed class RetryPolicyValidator : AbstractValidator<RetryPolicy>
{
    public RetryPolicyValidator()
    {
        RuleFor(r => r.MaxAttempts).InclusiveBetween(1, 100);
        RuleFor(r => r.DelaySecs).InclusiveBetween(0, 86_400);
        RuleFor(r => r.Backoff).InclusiveBetween(1.0, 10.0);
        RuleFor(r => r.MaxDelaySecs).InclusiveBetween(0, 86_400);
    }
}

sealed class RestartPolicyValidator : AbstractValidator<RestartPolicy>
{
    public RestartPolicyValidator()
    {
        RuleFor(r => r.DelayMs).InclusiveBetween(0, 3_600_000);
        RuleFor(r => r.MaxDelayMs).InclusiveBetween(0, 3_600_000);
        RuleFor(r => r.Factor).InclusiveBetween(1.0, 10.0);
        RuleFor(r => r.ResetAfterSecs).InclusiveBetween(0, 86_400);
        RuleFor(r => r.MinUptimeMs).InclusiveBetween(0, 600_000);
        RuleFor(r => r.MaxRestarts).InclusiveBetween(1, 10_000);
        RuleFor(r => r.WindowSecs).InclusiveBetween(1, 86_400);
    }
}

sealed class ProbeValidator : AbstractValidator<Probe>
{
    public ProbeValidator()
    {
        RuleFor(p => p.Type).NotNull().WithMessage("is required: command, http or tcp");
        RuleFor(p => p.Target).NotEmpty().WithMessage("is required").MaxUtf8Bytes(Limits.ScriptBytes).MustHaveNoNul();
        RuleFor(p => p.Target).Must(BeHttpUrl).When(p => p.Type == ProbeType.Http && !string.IsNullOrEmpty(p.Target))
            .WithMessage("must be an absolute http:// or https:// URL");
        RuleFor(p => p.Target).Must(BeHostAndPort).When(p => p.Type == ProbeType.Tcp && !string.IsNullOrEmpty(p.Target))
            .WithMessage("must be host:port with a port from 1 to 65535");
        RuleFor(p => p.IntervalSecs).InclusiveBetween(1, 3600);
        RuleFor(p => p.TimeoutSecs).InclusiveBetween(1, 600);
        RuleFor(p => p.FailureThreshold).InclusiveBetween(1, 100);
        RuleFor(p => p.RestartAfter).InclusiveBetween(0, 100);
    }

    static bool BeHttpUrl(string? target) =>
        Uri.TryCreate(target, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    static bool BeHostAndPort(string? target)
    {
        var colon = target!.LastIndexOf(':');
        var host = colon > 0 ? target[..colon].Trim('[', ']') : "";
        return host.Length > 0 && int.TryParse(target[(colon + 1)..], out var port) && port is >= 1 and <= 65535
            && Uri.CheckHostName(host) != UriHostNameType.Unknown;
    }
}
