using System.Text.Json;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace HeroProc.Api.Http;

/// <summary>
/// Query strings bind case-insensitively from <c>[AsParameters]</c> records whose members are
/// PascalCase; the document shows the camelCase names that API.md and clients use.
/// </summary>
sealed class CamelCaseQueryFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Query && parameter.Name is { } name)
                parameter.Name = JsonNamingPolicy.CamelCase.ConvertName(name);
        }
    }
}
