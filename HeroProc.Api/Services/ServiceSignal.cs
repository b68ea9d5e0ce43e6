using HeroProc.Api.Supervision;

namespace HeroProc.Api.Services;

/// <summary>
/// Wakes the <see cref="ServiceSupervisor"/> when something it acts on committed: a start, stop or restart
/// request, the start or end of a service's job, a probe's verdict.
/// </summary>
public sealed class ServiceSignal : WakeSignal;
