using System.Collections;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace HeroProc.Data;

/// <summary>
/// The names and types of a kept statement's result columns, learnt from its first reader. Dapper asks for
/// every column's name and type on every query (to check that its compiled row reader still fits), and
/// Microsoft.Data.Sqlite answers each through native calls and a new string: 37 % of reading a job's row
/// (34 columns) went there. A compiled statement's columns do not change. Their types are those SQLite
/// reported for the first row (the declared type for a NULL); each of our columns holds one type, and
/// Dapper converts where a reported type and a property's differ.
/// </summary>
sealed class ResultColumns
{
    string[]? _names;
    Type[]? _types;

    public string Name(SqliteDataReader reader, int ordinal) => (_names ??= Learn(reader, reader.GetName))[ordinal];

    public Type Type(SqliteDataReader reader, int ordinal) => (_types ??= Learn(reader, reader.GetFieldType))[ordinal];

    static T[] Learn<T>(SqliteDataReader reader, Func<int, T> get) =>
        Enumerable.Range(0, reader.FieldCount).Select(get).ToArray();
}

/// <summary>
/// A kept statement's reader, answering column names and types from <see cref="ResultColumns"/> (those of its
/// first result: a later statement of the same text has columns of its own).
/// </summary>
sealed class KeptColumnsReader(SqliteDataReader inner, ResultColumns columns) : DbDataReader
{
    bool _firstResult = true;

    public override string GetName(int ordinal) => _firstResult ? columns.Name(inner, ordinal) : inner.GetName(ordinal);
    public override Type GetFieldType(int ordinal) => _firstResult ? columns.Type(inner, ordinal) : inner.GetFieldType(ordinal);

    public override bool NextResult()
    {
        _firstResult = false;
        return inner.NextResult();
    }

    public override int Depth => inner.Depth;
    public override int FieldCount => inner.FieldCount;
    public override bool HasRows => inner.HasRows;
    public override bool IsClosed => inner.IsClosed;
    public override int RecordsAffected => inner.RecordsAffected;
    public override object this[int ordinal] => inner[ordinal];
    public override object this[string name] => inner[name];
    public override bool GetBoolean(int ordinal) => inner.GetBoolean(ordinal);
    public override byte GetByte(int ordinal) => inner.GetByte(ordinal);
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);
    public override char GetChar(int ordinal) => inner.GetChar(ordinal);
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);
    public override string GetDataTypeName(int ordinal) => inner.GetDataTypeName(ordinal);
    public override DateTime GetDateTime(int ordinal) => inner.GetDateTime(ordinal);
    public override decimal GetDecimal(int ordinal) => inner.GetDecimal(ordinal);
    public override double GetDouble(int ordinal) => inner.GetDouble(ordinal);
    public override float GetFloat(int ordinal) => inner.GetFloat(ordinal);
    public override Guid GetGuid(int ordinal) => inner.GetGuid(ordinal);
    public override short GetInt16(int ordinal) => inner.GetInt16(ordinal);
    public override int GetInt32(int ordinal) => inner.GetInt32(ordinal);
    public override long GetInt64(int ordinal) => inner.GetInt64(ordinal);
    public override int GetOrdinal(string name) => inner.GetOrdinal(name);
    public override string GetString(int ordinal) => inner.GetString(ordinal);
    public override object GetValue(int ordinal) => inner.GetValue(ordinal);
    public override int GetValues(object[] values) => inner.GetValues(values);
    public override T GetFieldValue<T>(int ordinal) => inner.GetFieldValue<T>(ordinal);
    public override Stream GetStream(int ordinal) => inner.GetStream(ordinal);
    public override TextReader GetTextReader(int ordinal) => inner.GetTextReader(ordinal);
    public override bool IsDBNull(int ordinal) => inner.IsDBNull(ordinal);
    public override bool Read() => inner.Read();
    public override IEnumerator GetEnumerator() => inner.GetEnumerator();
    public override System.Data.DataTable? GetSchemaTable() => inner.GetSchemaTable();
    public override void Close() => inner.Close();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
