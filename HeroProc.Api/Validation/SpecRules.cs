using FluentValidation;

namespace HeroProc.Api.Validation;

/// <summary>Rules that several request shapes share: tags, environments, texts.</summary>
public static class SpecRules
{
    public static void MustBeTags<T>(this IRuleBuilder<T, List<string>?> rule) =>
        rule.Must(tags => tags is null || tags.Count <= Limits.Tags)
            .WithMessage($"at most {Limits.Tags} tags are allowed")
            .ForEach(tag => tag.Must(Names.IsLabel).WithMessage("a tag is 1–128 printable characters"));

    public static void MustBeEnv<T>(this IRuleBuilder<T, Dictionary<string, string>?> rule) =>
        rule.Must(env => env is null || env.Count <= Limits.EnvEntries)
            .WithMessage($"at most {Limits.EnvEntries} entries are allowed")
            .Must(env => env is null || env.Keys.All(Names.EnvKey().IsMatch))
            .WithMessage((_, env) => $"key '{env!.Keys.First(k => !Names.EnvKey().IsMatch(k))}' is not an identifier (^[A-Za-z_][A-Za-z0-9_]*$)")
            .Must(env => env is null || env.Values.All(v => v is not null))
            .WithMessage((_, env) => $"the value of '{env!.First(p => p.Value is null).Key}' must be a string")
            .Must(env => env is null || env.Values.All(v => v is null || (Names.Utf8Bytes(v) <= Limits.EnvValueBytes && !v.Contains('\0'))))
            .WithMessage((_, env) => $"the value of '{env!.First(p => p.Value is not null && (Names.Utf8Bytes(p.Value) > Limits.EnvValueBytes || p.Value.Contains('\0'))).Key}' is over 32 KiB or contains a NUL character");

    public static IRuleBuilderOptions<T, string?> MaxUtf8Bytes<T>(this IRuleBuilder<T, string?> rule, int bytes) =>
        rule.Must(text => text is null || Names.Utf8Bytes(text) <= bytes).WithMessage($"must be at most {bytes} bytes of UTF-8");

    public static IRuleBuilderOptions<T, string?> MustBeResourceName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(Names.IsResource).WithMessage(Names.ResourceRule);

    public static IRuleBuilderOptions<T, string?> MustHaveNoNul<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => text is null || !text.Contains('\0')).WithMessage("must not contain a NUL character");
}
