using System.Data;
using System.Globalization;
using Dapper;

namespace HeroProc.Data;

/// <summary>
/// Registers, once, how times are stored: UTC ISO-8601 text. Dapper ignores type handlers for enums
/// (DapperLib/Dapper#259), so enums travel as their wire names: parameters through
/// <see cref="EnumText.ToText{T}"/>, columns through a <c>...Text</c> property on the row.
/// </summary>
static class DapperTypeHandlers
{
    public static void Register()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new UtcTimeHandler());
    }

    sealed class UtcTimeHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            parameter.DbType = DbType.String;
            parameter.Value = UtcTime.Format(value);
        }

        public override DateTimeOffset Parse(object value) =>
            DateTimeOffset.Parse((string)value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }
}

public static class UtcTime
{
    /// <summary>ISO-8601 UTC with milliseconds: the stored and the wire format, sortable as text.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Truncates to whole milliseconds, the precision that is stored.</summary>
    public static DateTimeOffset ToMilliseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
}
