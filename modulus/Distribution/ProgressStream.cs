using Modulus.Core.Files;

namespace Modulus.Distribution;

/// <summary>A read-only pass-through that reports every byte read to a progress sink; seekable when its stream is (TarWriter needs the length).</summary>
internal sealed class ProgressStream(Stream inner, IProgress<long> progress) : ReadOnlyStream
{
    public override bool CanSeek => inner.CanSeek;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count) => Reported(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Reported(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Reported(await inner.ReadAsync(buffer, cancellationToken));

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Reported(int read)
    {
        progress.Report(read);
        return read;
    }
}
