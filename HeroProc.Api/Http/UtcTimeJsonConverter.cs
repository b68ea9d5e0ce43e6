using System.Text.Json;
using System.Text.Json.Serialization;
using HeroProc.Data;

namespace HeroProc.Api.Http;

/// <summary>Writes times as ISO-8601 UTC with milliseconds (<c>2026-11-28T10:15:30.123Z</c>), per API.md.</summary>
sealed class UtcTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(UtcTime.Format(value));
}
