using HeroProc.Data;

namespace HeroProc.Api;

/// <summary>The <c>HeroProc</c> configuration section (README, "Configuration").</summary>
public sealed class HeroProcOptions
{
    public const string Section = "HeroProc";

    /// <summary>Database, keys and job directories; created with mode 0700.</summary>
    public string DataDir { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "heroproc");

    public int MaxParallelJobs { get; set; } = 2 * Environment.ProcessorCount;

    public bool StopJobsOnShutdown { get; set; }

    public Durability Durability { get; set; } = Durability.Full;

    public RetentionOptions Retention { get; set; } = new();

    public LogOptions Logs { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public sealed class AuthOptions
    {
        /// <summary>Bearer tokens (HeroProc__Auth__Tokens__0, __1, ...); none: no auth, loopback only.</summary>
        public List<string> Tokens { get; set; } = [];
    }

    /// <summary>Bounds on stored job output; when a bound is passed, the oldest output goes first.</summary>
    public sealed class LogOptions
    {
        /// <summary>Output kept per job (default 256 MiB).</summary>
        public long MaxBytesPerJob { get; set; } = 256L * 1024 * 1024;

        /// <summary>Output kept over all jobs (default 4 GiB); finished jobs' logs are trimmed first, oldest first.</summary>
        public long MaxBytesTotal { get; set; } = 4L * 1024 * 1024 * 1024;
    }

    public sealed class RetentionOptions
    {
        /// <summary>Finished runs older than this are deleted with their logs; 0 keeps them forever.</summary>
        public int Days { get; set; } = 30;
    }
}
