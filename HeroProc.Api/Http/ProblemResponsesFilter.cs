using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace HeroProc.Api.Http;

/// <summary>
/// Documents the problem responses every route can give but does not declare itself: 400 for a body
/// or query that does not bind or validate, 413 for a body over 1 MiB, 404 for a malformed id, and
/// 503 when storage refuses a write.
/// </summary>
sealed class ProblemResponsesFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var problem = context.SchemaGenerator.GenerateSchema(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), context.SchemaRepository);
        var validation = context.SchemaGenerator.GenerateSchema(typeof(HttpValidationProblemDetails), context.SchemaRepository);
        operation.Responses ??= new OpenApiResponses();

        var hasBody = context.ApiDescription.ParameterDescriptions.Any(p => p.Source.Id == "Body");
        var hasInput = hasBody || context.ApiDescription.ParameterDescriptions.Any(p => p.Source.Id is "Query" or "Header");
        if (hasInput)
            Add(operation, "400", "Invalid input: the problem names each field in 'errors', or the JSON path in 'detail'.", validation);
        if (hasBody)
            Add(operation, "413", "The request body is over 1 MiB.", problem);
        if (context.ApiDescription.RelativePath?.Contains("{id}") == true)
            Add(operation, "404", "Unknown or malformed id.", problem);
        if (!string.Equals(context.ApiDescription.HttpMethod, "GET", StringComparison.OrdinalIgnoreCase))
            Add(operation, "503", "Storage refused the write (database busy or disk full); nothing was written.", problem);
    }

    static void Add(OpenApiOperation operation, string status, string description, IOpenApiSchema schema)
    {
        if (operation.Responses!.ContainsKey(status))
            return;
        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
        };
    }
}
