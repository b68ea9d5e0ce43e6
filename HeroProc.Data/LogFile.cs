using System.Buffers.Binary;
using System.Text;

namespace HeroProc.Data;

public enum LogStream : byte { Stdout = 1, Stderr = 2 }

/// <summary>One stored line of a job's output.</summary>
public readonly record struct LogLine(long Seq, DateTimeOffset At, LogStream Stream, int Attempt, string Text);

/// <summary>
/// The format of a job's log file (<c>logs/&lt;job id&gt;.log</c>): records of a 16-byte header
/// (unix ms, length, attempt, stream) and the line's UTF-8 bytes. Chunks of records are indexed in
/// <c>log_chunks</c>; a line's sequence number is its chunk's first_seq plus its index.
/// </summary>
public static class LogFile
{
    public const int HeaderBytes = 16;

    public static void WriteRecord(Stream output, long unixMs, int attempt, LogStream stream, ReadOnlySpan<byte> text)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteInt64LittleEndian(header, unixMs);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], text.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], (ushort)Math.Min(attempt, ushort.MaxValue));
        header[14] = (byte)stream;
        header[15] = 0;
        output.Write(header);
        output.Write(text);
    }

    /// <summary>Reads one chunk's lines from the file.</summary>
    public static async Task<IReadOnlyList<LogLine>> ReadChunkAsync(string path, LogChunkRow chunk, CancellationToken ct)
    {
        var bytes = new byte[chunk.ByteLength];
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: false);
            file.Position = chunk.FileOffset;
            await file.ReadExactlyAsync(bytes, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or EndOfStreamException)
        {
            return []; // deleted with its run, or trimmed, after the index was read
        }
        var lines = new List<LogLine>(chunk.LineCount);
        var position = 0;
        for (var i = 0; i < chunk.LineCount && position + HeaderBytes <= bytes.Length; i++)
        {
            var header = bytes.AsSpan(position, HeaderBytes);
            var at = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(header));
            var length = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            var attempt = BinaryPrimitives.ReadUInt16LittleEndian(header[12..]);
            var stream = (LogStream)header[14];
            // A range punched out by retention after the index was read reads as zeros: not lines.
            if (stream is not (LogStream.Stdout or LogStream.Stderr) || length < 0 || position + HeaderBytes + length > bytes.Length)
                break;
            var text = Encoding.UTF8.GetString(bytes, position + HeaderBytes, length);
            lines.Add(new LogLine(chunk.FirstSeq + i, at, stream, attempt, text));
            position += HeaderBytes + length;
        }
        return lines;
    }
}
