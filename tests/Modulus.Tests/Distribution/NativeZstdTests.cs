using Modulus.Distribution;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Distribution;

/// <summary>
/// The libzstd decoder behind fetch (<see cref="NativeZstd"/>) against what the real zstd CLI and ZstdSharp write:
/// the same bytes back for any read size, and a truncated or damaged blob refused.
/// </summary>
public sealed class NativeZstdTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static NativeZstd Library =>
        NativeZstd.Library ?? throw new InvalidOperationException("libzstd.so.1 did not load: `make test` installs zstd (libzstd1) with its prerequisites");

    /// <summary>Data with runs and noise, as kernel modules have: compressible, not trivially.</summary>
    private static byte[] Sample(int size)
    {
        var random = new Random(23);
        var data = new byte[size];
        for (var i = 0; i < size; i += 4096)
        {
            var block = data.AsSpan(i, Math.Min(4096, size - i));
            if (i / 4096 % 3 == 0)
            {
                random.NextBytes(block);
            }
            else
            {
                block.Fill((byte)(i / 4096));
            }
        }

        return data;
    }

    private async Task<byte[]> ZstdCliAsync(byte[] data, params string[] options)
    {
        var path = dir.Combine($"in-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(path, data);
        var (code, run) = await ChildProcess.RunAsync("zstd", [.. options, "-q", "-f", path, "-o", path + ".zst"]);
        code.Should().Be(0, run.Output);
        return await File.ReadAllBytesAsync(path + ".zst");
    }

    private static async Task<byte[]> DecodeAsync(byte[] blob, int readSize)
    {
        await using var decoded = Library.Decompress(new MemoryStream(blob));
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = await decoded.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public async Task Decodes_what_the_zstd_cli_wrote_for_any_read_size(int readSize)
    {
        var data = Sample(3 << 20);
        var blob = await ZstdCliAsync(data, "-3", "--check");

        (await DecodeAsync(blob, readSize)).Should().Equal(data);
    }

    [Fact]
    public async Task Decodes_what_modulus_publish_writes_and_frames_written_one_after_another()
    {
        var first = Sample(1 << 20);
        var second = Sample(300_000).Reverse().ToArray();
        var blob = new MemoryStream();
        foreach (var part in new[] { first, second })
        {
            await using var compress = BlobCompression.Compress(blob, BlobCompression.Zstd); // ZstdSharp, every core
            await compress.WriteAsync(part);
        }

        var decoded = await DecodeAsync(blob.ToArray(), 65536);

        decoded.Should().Equal(first.Concat(second));
        using var sync = Library.Decompress(new MemoryStream(blob.ToArray()));
        var viaSyncReads = new MemoryStream();
        sync.CopyTo(viaSyncReads);
        viaSyncReads.ToArray().Should().Equal(decoded);
    }

    [Fact]
    public async Task A_truncated_blob_is_refused_saying_so()
    {
        var blob = await ZstdCliAsync(Sample(1 << 20), "-3");

        var decode = () => DecodeAsync(blob[..(blob.Length / 2)], 65536);

        (await decode.Should().ThrowAsync<InvalidDataException>()).WithMessage("*truncated*");
    }

    [Fact]
    public async Task A_damaged_blob_is_refused_with_libzstds_reason()
    {
        var blob = await ZstdCliAsync(Sample(1 << 20), "-3", "--check");
        blob[blob.Length - 2] ^= 0xff; // the frame's content checksum

        var decode = () => DecodeAsync(blob, 65536);

        (await decode.Should().ThrowAsync<InvalidDataException>()).WithMessage("the zstd blob cannot be decoded: *");
        var notZstd = () => DecodeAsync([.. "not a zstd frame at all"u8], 65536);
        (await notZstd.Should().ThrowAsync<InvalidDataException>()).WithMessage("*cannot be decoded*");
    }

    [Fact]
    public async Task What_publish_writes_carries_a_content_checksum_that_both_decoders_check()
    {
        var blob = new MemoryStream();
        await using (var compress = BlobCompression.Compress(blob, BlobCompression.Zstd))
        {
            await compress.WriteAsync(Sample(1 << 20));
        }

        var bytes = blob.ToArray();
        bytes[^1] ^= 0xff; // the last byte of the frame: its content's XXH64

        var native = () => DecodeAsync(bytes, 65536);
        (await native.Should().ThrowAsync<InvalidDataException>()).WithMessage("the zstd blob cannot be decoded: *checksum*");
        var managed = async () =>
        {
            await using var decoded = new ZstdSharp.DecompressionStream(new MemoryStream(bytes));
            await decoded.CopyToAsync(Stream.Null);
        };
        await managed.Should().ThrowAsync<ZstdSharp.ZstdException>();
    }
}
