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

    public sealed class RetentionOptions
    {
        /// <summary>Finished runs older than this are deleted with their logs; 0 keeps them forever.</summary>
        public int Days { get; set; } = 30;
    }
}
