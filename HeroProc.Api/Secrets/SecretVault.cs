using System.Data;
using System.Text;
using HeroProc.Data;
using Microsoft.AspNetCore.DataProtection;

namespace HeroProc.Api.Secrets;

/// <summary>
/// Encrypts secret values at rest with ASP.NET Core Data Protection (keys in the data directory's
/// <c>keys/</c>), and gives a job the plain values it names, at the moment it starts.
/// </summary>
public sealed class SecretVault(IDataProtectionProvider provider)
{
    readonly IDataProtector _protector = provider.CreateProtector("HeroProc.Secrets.v1");

    public string Protect(string value) => _protector.Protect(value);

    /// <summary>Encrypts the unfinished output lines kept between ingestion passes (they may hold part of a secret).</summary>
    public IDataProtector CarryProtector { get; } = provider.CreateProtector("HeroProc.LogCarry.v1");

    /// <summary>The plain values of <paramref name="names"/>, and the names that no longer exist.</summary>
    public async Task<(IReadOnlyDictionary<string, string> Values, IReadOnlyList<string> Missing)> RevealAsync(
        IDbTransaction tx, IReadOnlyCollection<string> names)
    {
        var rows = await SecretRepository.GetManyAsync(tx, names);
        var values = rows.ToDictionary(r => r.Name, r => _protector.Unprotect(r.ValueCipher), StringComparer.Ordinal);
        return (values, names.Where(n => !values.ContainsKey(n)).Distinct().ToList());
    }

    /// <summary>Keeps, encrypted in the (0700) data directory, the secret values the attempt was given.</summary>
    public void KeepAttemptSecrets(string path, IEnumerable<string> values)
    {
        var list = values.ToList();
        if (list.Count > 0)
            File.WriteAllText(path, CarryProtector.Protect(System.Text.Json.JsonSerializer.Serialize(list)));
    }

    /// <summary>The values kept for an attempt, or none.</summary>
    public IReadOnlyList<string> AttemptSecrets(string path)
    {
        try
        {
            return File.Exists(path)
                ? System.Text.Json.JsonSerializer.Deserialize<List<string>>(CarryProtector.Unprotect(File.ReadAllText(path))) ?? []
                : [];
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or System.Text.Json.JsonException)
        {
            return [];
        }
    }

    /// <summary>
    /// What masking looks for in output, which is stored line by line: each value of 4 bytes or more, and
    /// each line of 4 bytes or more of a multi-line value (a PEM key is printed as many lines), as UTF-8.
    /// </summary>
    public static IReadOnlyList<byte[]> MaskPatterns(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split('\n').Select(line => line.TrimEnd('\r')).Append(v))
            .Select(Encoding.UTF8.GetBytes).Where(b => b.Length >= 4).Distinct(ByteArrayComparer.Instance)
            .OrderByDescending(b => b.Length).ToList();

    sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
