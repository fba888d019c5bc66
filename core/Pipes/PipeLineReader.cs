using System.Buffers;
using System.Text;

namespace Modulus.Core.Pipes;

/// <summary>
/// Splits a FIFO's bytes into UTF-8 lines of bounded length. A line longer than the bound is dropped whole
/// (up to its newline) and reported as <see cref="LineReadStatus.Oversized"/>; reading continues after it.
/// </summary>
public sealed class PipeLineReader(FifoEnd source, int maxLineBytes)
{
    private readonly byte[] chunk = new byte[16 * 1024];
    private readonly ArrayBufferWriter<byte> line = new();
    private int chunkStart;
    private int chunkEnd;
    private long dropped;
    private bool eof;

    public LineReadResult ReadLine(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryTakeLine(out var result))
            {
                return result;
            }

            if (eof)
            {
                return new LineReadResult(LineReadStatus.EndOfStream);
            }

            var remaining = deadline - DateTime.UtcNow;
            var n = remaining <= TimeSpan.Zero ? -1 : source.Read(chunk, remaining, cancellationToken);
            if (n < 0)
            {
                return new LineReadResult(LineReadStatus.Timeout);
            }

            chunkStart = 0;
            chunkEnd = n;
            eof = n == 0;
        }
    }

    private bool TryTakeLine(out LineReadResult result)
    {
        var available = chunk.AsSpan(chunkStart, chunkEnd - chunkStart);
        var newline = available.IndexOf((byte)'\n');
        var take = newline < 0 ? available : available[..newline];
        chunkStart += newline < 0 ? available.Length : newline + 1;

        if (dropped > 0 || line.WrittenCount + take.Length > maxLineBytes)
        {
            dropped += line.WrittenCount + take.Length;
            line.ResetWrittenCount();
        }
        else
        {
            line.Write(take);
        }

        if (newline < 0)
        {
            result = default;
            return false;
        }

        if (dropped > 0)
        {
            result = new LineReadResult(LineReadStatus.Oversized, DroppedBytes: dropped);
            dropped = 0;
            return true;
        }

        var text = Encoding.UTF8.GetString(line.WrittenSpan).TrimEnd('\r');
        line.ResetWrittenCount();
        result = new LineReadResult(LineReadStatus.Line, text);
        return true;
    }
}
