using System.Security.Cryptography;
using Modulus.Core.Files;

namespace Modulus.Distribution;

/// <summary>
/// A file as publish packs it: read once, front to back, hashed and counted on the way, each read reported to the
/// progress sink; seekable and with a length because TarWriter needs the entry's size before its data.
/// </summary>
internal sealed class PackedFileStream(FileStream file, IProgress<long>? progress) : ReadOnlyStream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public override bool CanSeek => true;

    public override long Length => file.Length;

    public override long Position { get => file.Position; set => throw new NotSupportedException("a packed file is read once, front to back"); }

    /// <summary>The SHA-256 of every byte read; call once, at the end.</summary>
    public string FinishHash() => Convert.ToHexStringLower(hash.GetHashAndReset());

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = file.Read(buffer);
        return Seen(buffer[..read]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await file.ReadAsync(buffer, cancellationToken);
        return Seen(buffer.Span[..read]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
            hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Seen(ReadOnlySpan<byte> bytes)
    {
        hash.AppendData(bytes);
        BytesRead += bytes.Length;
        progress?.Report(bytes.Length);
        return bytes.Length;
    }
}
