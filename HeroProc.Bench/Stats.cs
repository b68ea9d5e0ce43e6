using System.Globalization;

namespace HeroProc.Bench;

/// <summary>Percentiles and medians of measurements, and how numbers are written in the table.</summary>
public static class Stats
{
    /// <summary>Nearest-rank percentile (p in 0–100) of unsorted samples.</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double p)
    {
        if (samples.Count == 0)
            return double.NaN;
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The median of repeated runs: what latency and memory targets are judged on.</summary>
    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 50);

    public static string Ms(double ms) => ms switch
    {
        double.NaN => "n/a",
        < 10 => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        < 100 => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
    };

    public static string Seconds(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string MB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " MB";

    public static string Number(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Ratio(double ratio) => double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>"a / b / c" of the repeats, so the table shows the spread behind a median.</summary>
    public static string Each(IEnumerable<double> values, Func<double, string> format) => string.Join(" / ", values.Select(format));
}
