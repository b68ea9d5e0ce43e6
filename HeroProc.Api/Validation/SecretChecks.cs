using System.Data;
using HeroProc.Data;

namespace HeroProc.Api.Validation;

/// <summary>Checks, inside the write transaction, that the secrets a spec names exist.</summary>
public static class SecretChecks
{
    public static async Task<RequestErrors> MissingAsync(IDbTransaction tx, IReadOnlyCollection<string> names, string field, RequestErrors? errors = null)
    {
        errors ??= new RequestErrors();
        var existing = await DefinitionLookups.ExistingSecretsAsync(tx, names.Distinct().ToList());
        foreach (var name in names.Where(n => !existing.Contains(n)).Distinct())
            errors.Add(field, $"there is no secret named '{name}'");
        return errors;
    }
}
