using Microsoft.AspNetCore.Http.HttpResults;

namespace HeroProc.Api.Http;

/// <summary>Expected outcomes that are not successes, returned (never thrown) as problem documents.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem($"There is no {what}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Unprocessable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency key reused");
}
