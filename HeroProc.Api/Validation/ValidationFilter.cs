using FluentValidation;

namespace HeroProc.Api.Validation;

/// <summary>
/// The one validation convention: every handler argument whose type has a registered FluentValidation
/// validator is validated before the handler runs; a failure is a 400 problem with an errors map.
/// </summary>
public static class ValidationFilter
{
    public static TBuilder WithValidation<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilterFactory((context, next) =>
        {
            var services = context.ApplicationServices;
            var validated = context.MethodInfo.GetParameters()
                .Select((parameter, index) => (Index: index, Validator: (IValidator?)services.GetService(
                    typeof(IValidator<>).MakeGenericType(parameter.ParameterType))))
                .Where(p => p.Validator is not null)
                .ToArray();
            if (validated.Length == 0)
                return next;

            return async invocation =>
            {
                foreach (var (index, validator) in validated)
                {
                    if (invocation.Arguments[index] is not { } argument)
                        continue;
                    var result = await validator!.ValidateAsync(new ValidationContext<object>(argument), invocation.HttpContext.RequestAborted);
                    if (!result.IsValid)
                        return TypedResults.ValidationProblem(result.ToDictionary(), title: "Invalid request");
                }
                return await next(invocation);
            };
        });
        return builder;
    }
}

/// <summary>Errors found by checks against other rows, inside the write transaction; shaped like the filter's.</summary>
public sealed class RequestErrors
{
    readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public RequestErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
            _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public Microsoft.AspNetCore.Http.HttpResults.ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(_errors.ToDictionary(p => p.Key, p => p.Value.ToArray()), title: "Invalid request");

    public static RequestErrors Of(string field, string message) => new RequestErrors().Add(field, message);

    /// <summary>One line: "field: message; field: message".</summary>
    public string Describe() => string.Join("; ", _errors.SelectMany(p => p.Value.Select(m => $"{p.Key}: {m}")));
}
