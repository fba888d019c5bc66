using System.Runtime.InteropServices;
using Modulus.Core.Files;

namespace Modulus.Distribution;

/// <summary>
/// libzstd's streaming decoder (<c>ZSTD_decompressStream</c>), found at run time with <see cref="NativeLibrary"/>:
/// the C decoder unpacks a blob about 1.5× as fast as the managed one (docs/performance.md). Null where the machine
/// has no <c>libzstd.so.1</c> (Debian's and Garden Linux's <c>libzstd1</c>, which dpkg itself needs); ZstdSharp
/// decodes then. <c>MODULUS_ZSTD=managed</c> asks for ZstdSharp anyway (the benchmarks compare the two).
/// </summary>
internal sealed class NativeZstd
{
    private static readonly Lazy<NativeZstd?> Loaded = new(Load);

    private readonly unsafe delegate* unmanaged<nint> createDStream;
    private readonly unsafe delegate* unmanaged<nint, nuint> freeDStream;
    private readonly unsafe delegate* unmanaged<nint, Buffer*, Buffer*, nuint> decompressStream;
    private readonly unsafe delegate* unmanaged<nuint, uint> isError;
    private readonly unsafe delegate* unmanaged<nuint, nint> getErrorName;
    private readonly unsafe delegate* unmanaged<nuint> dStreamInSize;

    private unsafe NativeZstd(nint library)
    {
        createDStream = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "ZSTD_createDStream");
        freeDStream = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(library, "ZSTD_freeDStream");
        decompressStream = (delegate* unmanaged<nint, Buffer*, Buffer*, nuint>)NativeLibrary.GetExport(library, "ZSTD_decompressStream");
        isError = (delegate* unmanaged<nuint, uint>)NativeLibrary.GetExport(library, "ZSTD_isError");
        getErrorName = (delegate* unmanaged<nuint, nint>)NativeLibrary.GetExport(library, "ZSTD_getErrorName");
        dStreamInSize = (delegate* unmanaged<nuint>)NativeLibrary.GetExport(library, "ZSTD_DStreamInSize");
    }

    /// <summary>The loaded library, or null (no libzstd, one without the streaming API, or MODULUS_ZSTD=managed).</summary>
    public static NativeZstd? Library => Loaded.Value;

    /// <summary>A read-only stream of what <paramref name="source"/> decompresses to (one or more zstd frames).</summary>
    public Stream Decompress(Stream source) => new DecompressionStream(this, source);

    private static NativeZstd? Load()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("MODULUS_ZSTD"), "managed", StringComparison.OrdinalIgnoreCase)
            || !NativeLibrary.TryLoad("libzstd.so.1", out var library))
        {
            return null;
        }

        try
        {
            return new NativeZstd(library);
        }
        catch (EntryPointNotFoundException)
        {
            NativeLibrary.Free(library);
            return null; // a libzstd older than the streaming API (1.0): ZstdSharp decodes
        }
    }

    private unsafe int InputSize => (int)dStreamInSize();

    private unsafe nint CreateStream() =>
        createDStream() is var stream && stream != 0 ? stream : throw new InsufficientMemoryException("libzstd could not allocate a decoder (ZSTD_createDStream)");

    private unsafe void FreeStream(nint stream) => freeDStream(stream);

    /// <summary><c>ZSTD_inBuffer</c> and <c>ZSTD_outBuffer</c>: the same three words (pointer, size, position).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Buffer
    {
        public void* Data;
        public nuint Size;
        public nuint Position;
    }

    private sealed class DecompressionStream(NativeZstd zstd, Stream source) : ReadOnlyStream
    {
        private readonly byte[] input = new byte[zstd.InputSize];
        private nint stream = zstd.CreateStream();
        private int inputLength;
        private int inputPosition;
        private bool sourceEnded;

        /// <summary>True between a frame's first byte and its end: the source must not end there.</summary>
        private bool inFrame;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (true)
            {
                if (inputPosition == inputLength && !sourceEnded)
                {
                    Refill(source.Read(input));
                }

                if (Step(buffer, out var produced))
                {
                    return produced;
                }
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (inputPosition == inputLength && !sourceEnded)
                {
                    Refill(await source.ReadAsync(input, cancellationToken));
                }

                if (Step(buffer.Span, out var produced))
                {
                    return produced;
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (stream != 0)
            {
                zstd.FreeStream(stream);
                stream = 0;
            }

            base.Dispose(disposing);
        }

        private void Refill(int read)
        {
            (inputLength, inputPosition, sourceEnded) = (read, 0, read == 0);
        }

        /// <summary>One call of the decoder; true when the read has its answer in <paramref name="produced"/>.</summary>
        private unsafe bool Step(Span<byte> buffer, out int produced)
        {
            ObjectDisposedException.ThrowIf(stream == 0, this);
            produced = 0;
            if (buffer.IsEmpty)
            {
                return true;
            }

            fixed (byte* inputBytes = input)
            fixed (byte* outputBytes = buffer)
            {
                var inBuffer = new Buffer { Data = inputBytes, Size = (nuint)inputLength, Position = (nuint)inputPosition };
                var outBuffer = new Buffer { Data = outputBytes, Size = (nuint)buffer.Length };
                var result = zstd.decompressStream(stream, &outBuffer, &inBuffer);
                if (zstd.isError(result) != 0)
                {
                    throw new InvalidDataException($"the zstd blob cannot be decoded: {Marshal.PtrToStringUTF8(zstd.getErrorName(result))}");
                }

                produced = (int)outBuffer.Position;
                if (produced > 0 || (int)inBuffer.Position > inputPosition)
                {
                    inFrame = result != 0; // 0: a frame ended and all of it was flushed (with no input, a hint for the next frame)
                }

                inputPosition = (int)inBuffer.Position;
            }

            if (produced > 0)
            {
                return true;
            }

            if (sourceEnded && inputPosition == inputLength)
            {
                return inFrame ? throw new InvalidDataException("the zstd blob ends inside a frame: it is truncated") : true;
            }

            return false;
        }
    }
}
