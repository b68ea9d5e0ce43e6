using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using HeroProc.Data;

namespace HeroProc.Api.Supervision;

/// <summary>What one pass read from the spool: written to the log file already, committed by the caller.</summary>
public sealed record IngestPass(
    IReadOnlyList<LogChunkRow> Chunks, IngestionState State, long FileEnd, IReadOnlyList<long> ConsumedSegments, bool MoreWaiting)
{
    /// <summary>True when the pass stored lines or freed segments: it must be committed.</summary>
    public bool HasProgress => Chunks.Count > 0 || ConsumedSegments.Count > 0;
}

/// <summary>
/// Turns one attempt's spool segments (records from the shim) into stored lines: split per stream,
/// invalid UTF-8 replaced, lines over 64 KiB split, appended to the job's log file in chunks. A pass
/// writes the file; the caller commits its chunks and position in one transaction; only then does
/// <see cref="Complete"/> delete the segments read. A crash in between re-reads the same records and
/// overwrites the same file range, so nothing is lost or stored twice.
/// </summary>
public sealed class LogIngestor(JobPaths paths, long jobId, int attempt, IngestionState state, long fileEnd, IReadOnlyList<byte[]> masks,
    Microsoft.AspNetCore.DataProtection.IDataProtector carryProtector)
{
    public const int MaxLineBytes = 64 * 1024;
    const int ShimHeaderBytes = 16;
    /// <summary>The shim reads its pipes 64 KiB at a time: no honest record is longer.</summary>
    const uint ShimMaxRecord = 64 * 1024;
    const int ChunkMaxLines = 4096;
    const int ChunkMaxBytes = 1024 * 1024;

    /// <summary>Spool bytes one pass reads at most, so one commit stays small; tests shrink it to force many passes.</summary>
    internal static int MaxBytesPerPass { get; set; } = 16 * 1024 * 1024;

    IngestionState _state = state;
    long _fileEnd = fileEnd;

    public long JobId => jobId;

    /// <summary>The spool segment ingestion is in: those before it are consumed and deleted.</summary>
    public long SpoolSegment => _state.SpoolSegment;

    /// <summary>Resumes from the job's stored position; secret values in <paramref name="masks"/> become *** in every stored line.</summary>
    public static async Task<LogIngestor> OpenAsync(Db db, JobPaths paths, long jobId, int attempt, IReadOnlyList<byte[]> masks,
        Microsoft.AspNetCore.DataProtection.IDataProtector carryProtector, CancellationToken ct)
    {
        var (job, end) = await db.ReadAsync(async tx =>
            ((await JobRepository.GetAsync(tx, jobId))!, await LogRepository.EndOffsetAsync(tx, jobId)), ct);
        return new(paths, job.Id, attempt,
            new IngestionState(job.SpoolSegment, job.SpoolOffset, Unprotect(carryProtector, job.CarryStdout), Unprotect(carryProtector, job.CarryStderr),
                job.LogSeq), end, masks, carryProtector);
    }

    /// <summary>
    /// The ingestor of an attempt just claimed, from what the claim read (JobStateRepository.ClaimedJob): the claim
    /// rewinds the spool, and no one adds to the job's output between its claim and its first pass.
    /// </summary>
    public static LogIngestor ForClaimed(JobPaths paths, JobStateRepository.ClaimedJob job, IReadOnlyList<byte[]> masks,
        Microsoft.AspNetCore.DataProtection.IDataProtector carryProtector) =>
        new(paths, job.Id, job.Attempt, new IngestionState(0, 0, null, null, job.LogSeq), job.LogFileEnd, masks, carryProtector);

    /// <summary>Whether committing the pass would store anything: lines, or a new place in the spool.</summary>
    public bool Stores(IngestPass pass) => pass.Chunks.Count > 0 || pass.State != _state;

    /// <summary>Reads what was spooled since the last committed pass; <paramref name="final"/> also flushes unterminated lines.</summary>
    public IngestPass Read(bool final)
    {
        var builder = new PassBuilder(jobId, paths.LogFile(jobId), _fileEnd, _state.LogSeq, attempt, masks);
        var carries = new[] { new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>() };
        carries[0].Write(_state.CarryStdout ?? []);
        carries[1].Write(_state.CarryStderr ?? []);
        var segment = _state.SpoolSegment;
        var offset = _state.SpoolOffset;
        var consumed = new List<long>();
        var budget = MaxBytesPerPass;
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            while (budget > 0)
            {
                var path = paths.SpoolSegment(jobId, attempt, segment);
                if (!File.Exists(path))
                    break;
                var progressed = false;
                using (var spool = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
                {
                    spool.Position = offset;
                    int read;
                    var pending = 0;
                    while (budget > 0 && (read = spool.Read(buffer, pending, buffer.Length - pending)) > 0)
                    {
                        var available = pending + read;
                        var used = ParseRecords(buffer.AsSpan(0, available), carries, builder, ref budget);
                        offset += used;
                        progressed |= used > 0;
                        pending = available - used;
                        if (pending > 0)
                        {
                            if (pending == buffer.Length)
                                Grow(ref buffer, pending);
                            Buffer.BlockCopy(buffer, used, buffer, 0, pending);
                        }
                    }
                    // The shim opens segment N+1 only after its last write to N: once N+1 exists and N is read
                    // to its end, N is complete.
                    if (offset == spool.Length && File.Exists(paths.SpoolSegment(jobId, attempt, segment + 1)) && offset == new FileInfo(path).Length)
                    {
                        consumed.Add(segment);
                        segment++;
                        offset = 0;
                        continue;
                    }
                }
                if (!progressed)
                    break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (final)
        {
            for (var i = 0; i < 2; i++)
            {
                if (carries[i].WrittenCount > 0)
                    builder.Add((LogStream)(i + 1), builder.LastUnixMs, carries[i].WrittenSpan);
                carries[i].Clear();
            }
        }
        var chunks = builder.Finish();
        var state = new IngestionState(segment, offset, Carry(carries[0]), Carry(carries[1]), builder.Seq);
        return new IngestPass(chunks, state, builder.FileEnd, consumed, MoreWaiting: budget <= 0);
    }

    /// <summary>
    /// The state as the database keeps it: an unfinished line may be half a secret, not yet maskable, so
    /// it is stored encrypted like the secrets themselves.
    /// </summary>
    public IngestionState ForStorage(IngestionState state) => state with
    {
        CarryStdout = state.CarryStdout is null ? null : carryProtector.Protect(state.CarryStdout),
        CarryStderr = state.CarryStderr is null ? null : carryProtector.Protect(state.CarryStderr),
    };

    static byte[]? Unprotect(Microsoft.AspNetCore.DataProtection.IDataProtector protector, byte[]? stored) =>
        stored is null ? null : protector.Unprotect(stored);

    /// <summary>After the pass was committed: frees the spool segments it consumed.</summary>
    public void Complete(IngestPass pass)
    {
        _state = pass.State;
        _fileEnd = pass.FileEnd;
        foreach (var segment in pass.ConsumedSegments)
        {
            try { File.Delete(paths.SpoolSegment(jobId, attempt, segment)); }
            catch (IOException) { }
        }
    }

    static byte[]? Carry(ArrayBufferWriter<byte> carry) => carry.WrittenCount == 0 ? null : carry.WrittenSpan.ToArray();

    static void Grow(ref byte[] buffer, int keep)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        Buffer.BlockCopy(buffer, 0, bigger, 0, keep);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }

    /// <summary>Consumes whole shim records from <paramref name="data"/>; returns the bytes used.</summary>
    static int ParseRecords(ReadOnlySpan<byte> data, ArrayBufferWriter<byte>[] carries, PassBuilder builder, ref int budget)
    {
        var used = 0;
        while (data.Length - used >= ShimHeaderBytes)
        {
            var header = data.Slice(used, ShimHeaderBytes);
            var unixMs = BinaryPrimitives.ReadInt64LittleEndian(header);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            if (length > ShimMaxRecord || header[12] is not (1 or 2))
                throw new InvalidDataException($"the spool holds a damaged record (length {length}, stream {header[12]})");
            var stream = header[12] == 2 ? LogStream.Stderr : LogStream.Stdout;
            if (data.Length - used - ShimHeaderBytes < (int)length)
                break;
            SplitLines(data.Slice(used + ShimHeaderBytes, (int)length), carries[(int)stream - 1], stream, unixMs, builder);
            used += ShimHeaderBytes + (int)length;
            budget -= ShimHeaderBytes + (int)length;
        }
        return used;
    }

    static void SplitLines(ReadOnlySpan<byte> output, ArrayBufferWriter<byte> carry, LogStream stream, long unixMs, PassBuilder builder)
    {
        while (!output.IsEmpty)
        {
            var newline = output.IndexOf((byte)'\n');
            if (newline < 0)
            {
                carry.Write(output);
                while (carry.WrittenCount > MaxLineBytes)
                {
                    // A line over the limit is stored as several lines, cut at a character boundary.
                    var cut = Utf8Boundary(carry.WrittenSpan, MaxLineBytes);
                    builder.Add(stream, unixMs, carry.WrittenSpan[..cut]);
                    var rest = carry.WrittenSpan[cut..].ToArray();
                    carry.Clear();
                    carry.Write(rest);
                }
                return;
            }
            if (carry.WrittenCount == 0)
            {
                builder.Add(stream, unixMs, output[..newline]);
            }
            else
            {
                carry.Write(output[..newline]);
                var line = carry.WrittenSpan;
                while (line.Length > MaxLineBytes)
                {
                    var cut = Utf8Boundary(line, MaxLineBytes);
                    builder.Add(stream, unixMs, line[..cut]);
                    line = line[cut..];
                }
                builder.Add(stream, unixMs, line);
                carry.Clear();
            }
            output = output[(newline + 1)..];
        }
    }

    static readonly byte[] Masked = "***"u8.ToArray();

    /// <summary>
    /// Every occurrence of a secret inside the line becomes <c>***</c> (longest secrets first). A secret
    /// cut in two by the 64 KiB split of a very long line is not caught.
    /// </summary>
    static ReadOnlySpan<byte> Mask(ReadOnlySpan<byte> text, IReadOnlyList<byte[]> masks)
    {
        foreach (var mask in masks)
        {
            var at = text.IndexOf(mask);
            if (at < 0)
                continue;
            var masked = new ArrayBufferWriter<byte>(text.Length);
            while (at >= 0)
            {
                masked.Write(text[..at]);
                masked.Write(Masked);
                text = text[(at + mask.Length)..];
                at = text.IndexOf(mask);
            }
            masked.Write(text);
            text = masked.WrittenSpan.ToArray();
        }
        return text;
    }

    /// <summary>The largest cut at or below <paramref name="max"/> that does not split a UTF-8 sequence.</summary>
    static int Utf8Boundary(ReadOnlySpan<byte> text, int max)
    {
        var cut = max;
        for (var back = 0; back < 3 && cut > 0 && (text[cut] & 0xC0) == 0x80; back++)
            cut--;
        return cut;
    }

    /// <summary>Appends line records to the log file and groups them into chunks.</summary>
    sealed class PassBuilder(long jobId, string logPath, long fileEnd, long seq, int attempt, IReadOnlyList<byte[]> masks)
    {
        readonly List<LogChunkRow> _chunks = [];
        FileStream? _file;
        long _chunkStart = fileEnd, _chunkFirstSeq;
        int _chunkLines;
        long _chunkFirstMs;

        public long Seq { get; private set; } = seq;
        public long FileEnd { get; private set; } = fileEnd;
        public long LastUnixMs { get; private set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        public void Add(LogStream stream, long unixMs, ReadOnlySpan<byte> text)
        {
            if (_file is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
                _file = new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
                // Bytes past the last committed chunk belong to a pass that never committed: overwrite them.
                _file.SetLength(FileEnd);
                _file.Position = FileEnd;
            }
            if (_chunkLines == 0)
            {
                _chunkFirstSeq = Seq + 1;
                _chunkFirstMs = unixMs;
            }
            if (!Utf8.IsValid(text))
                text = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(text));
            if (masks.Count > 0)
                text = Mask(text, masks);
            LogFile.WriteRecord(_file, unixMs, attempt, stream, text);
            FileEnd += LogFile.HeaderBytes + text.Length;
            Seq++;
            _chunkLines++;
            LastUnixMs = unixMs;
            if (_chunkLines >= ChunkMaxLines || FileEnd - _chunkStart >= ChunkMaxBytes)
                CloseChunk();
        }

        public IReadOnlyList<LogChunkRow> Finish()
        {
            if (_chunkLines > 0)
                CloseChunk();
            if (_file is not null)
            {
                try
                {
                    _file.Flush(flushToDisk: true);
                }
                finally
                {
                    _file.Dispose();
                }
            }
            return _chunks;
        }

        void CloseChunk()
        {
            _chunks.Add(new LogChunkRow
            {
                JobId = jobId, FirstSeq = _chunkFirstSeq, LineCount = _chunkLines, FileOffset = _chunkStart,
                ByteLength = (int)(FileEnd - _chunkStart), FirstAt = DateTimeOffset.FromUnixTimeMilliseconds(_chunkFirstMs),
                LastAt = DateTimeOffset.FromUnixTimeMilliseconds(LastUnixMs),
            });
            _chunkStart = FileEnd;
            _chunkLines = 0;
        }
    }
}
