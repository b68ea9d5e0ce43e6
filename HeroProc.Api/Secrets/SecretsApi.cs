using FluentValidation;
using HeroProc.Api.Http;
using HeroProc.Api.Validation;
using HeroProc.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HeroProc.Api.Secrets;

public static class SecretsApi
{
    public static RouteGroupBuilder MapSecrets(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/secrets").WithTags("Secrets").WithValidation();

        group.MapGet("/", List).WithSummary("List secret names with createdAt and updatedAt; values are never returned.");
        group.MapPut("/{name}", Put).WithSummary("Store a secret (201) or replace its value (200); 4 bytes to 32 KiB, encrypted at rest.");
        group.MapDelete("/{name}", Delete).WithSummary("Delete a secret.")
            .WithDescription("A job naming it that has not started yet fails with an error saying so.").ProducesProblem(404);
        return group;
    }

    public static async Task<Ok<Page<SecretResponse>>> List([AsParameters] SecretListQuery query, Db db, CancellationToken ct)
    {
        var limit = query.LimitOr(PagingRules.DefaultLimit);
        var rows = await db.ReadAsync(tx => SecretRepository.ListAsync(tx, Cursor.DecodeKey(query.Cursor), limit + 1), ct);
        return TypedResults.Ok(Cursor.ToPage(rows, limit, r => Cursor.Encode(r.Name), SecretResponse.From));
    }

    public static async Task<Results<Created<SecretResponse>, Ok<SecretResponse>, ValidationProblem>> Put(
        string name, SecretValue body, Db db, SecretVault vault, TimeProvider clock, CancellationToken ct)
    {
        if (!Names.Secret().IsMatch(name))
            return RequestErrors.Of("name", "must be a secret name: ^[A-Za-z_][A-Za-z0-9_]{0,127}$").ToProblem();
        var cipher = vault.Protect(body.Value!);
        var (created, row) = await db.InTransactionAsync(async tx =>
            (await SecretRepository.UpsertAsync(tx, name, cipher, clock.GetUtcNow()), (await SecretRepository.GetAsync(tx, name))!), ct);
        var response = SecretResponse.From(row);
        return created ? TypedResults.Created($"/api/secrets/{name}", response) : TypedResults.Ok(response);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, Db db, CancellationToken ct) =>
        await db.InTransactionAsync(tx => SecretRepository.DeleteAsync(tx, name), ct)
            ? TypedResults.NoContent()
            : Problems.NotFound($"secret '{name}'");
}

/// <summary>A secret as listed: never its value.</summary>
public sealed record SecretResponse(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SecretResponse From(SecretRow row) => new(row.Name, row.CreatedAt, row.UpdatedAt);
}

/// <summary>The body of <c>PUT /api/secrets/{name}</c>.</summary>
public sealed record SecretValue(string? Value);

sealed class SecretValueValidator : AbstractValidator<SecretValue>
{
    public SecretValueValidator() =>
        RuleFor(s => s.Value).NotNull().WithMessage("is required")
            .Must(v => v is null || Names.Utf8Bytes(v) is >= 4 and <= 32 * 1024).WithMessage("must be 4 bytes to 32 KiB of UTF-8")
            .MustHaveNoNul();
}

public sealed record SecretListQuery(int? Limit, string? Cursor) : IPageQuery;

sealed class SecretListQueryValidator : AbstractValidator<SecretListQuery>
{
    public SecretListQueryValidator() => this.AddPagingRules(idCursor: false);
}
