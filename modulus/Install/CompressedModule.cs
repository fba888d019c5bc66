using System.IO.Compression;
using SharpCompress.Compressors.Xz;

namespace Modulus.Install;

/// <summary>
/// Compressed kernel modules (<c>.ko.xz</c>, <c>.ko.zst</c>, <c>.ko.gz</c>, as depmod indexes them): the format a file
/// is in, read from its magic bytes as kmod does, and its ELF image decompressed in user space for kernels that cannot
/// decompress modules themselves (CONFIG_MODULE_DECOMPRESS off: Garden Linux 1592 and 1877, Debian 12).
/// </summary>
internal static class CompressedModule
{
    /// <summary>
    /// The most a decompressed module may take: Debian's largest in-tree module (amdgpu.ko) is about 19 MB and NVIDIA's
    /// unstripped nvidia.ko about 90 MB, so anything past this is damage or a decompression bomb, not a module.
    /// </summary>
    public const long MaxImageBytes = 256L * 1024 * 1024;

    private static readonly byte[] Elf = [0x7F, (byte)'E', (byte)'L', (byte)'F'];
    private static readonly byte[] Xz = [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];
    private static readonly byte[] Zstd = [0x28, 0xB5, 0x2F, 0xFD];
    private static readonly byte[] Gzip = [0x1F, 0x8B];

    /// <summary>
    /// The compression of the module file: null for a plain ELF module, else "xz", "zstd" or "gzip", the names the
    /// kernel writes to <c>/sys/module/compression</c>.
    /// </summary>
    public static string? FormatOf(string path)
    {
        Span<byte> head = stackalloc byte[6];
        int read;
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            read = RandomAccess.Read(file, head, 0);
        }

        head = head[..read];
        return head.StartsWith(Elf) ? null
            : head.StartsWith(Xz) ? "xz"
            : head.StartsWith(Zstd) ? "zstd"
            : head.StartsWith(Gzip) ? "gzip"
            : throw new IOException(
                $"{path} is not a kernel module: it is neither an ELF file nor xz-, zstd- or gzip-compressed (its first bytes are {Convert.ToHexString(head)}). " +
                "Reinstall the kernel package that owns it, or rebuild the artifact.");
    }

    /// <summary>The module's ELF image, decompressed from <paramref name="format"/>; at most <paramref name="maxBytes"/>.</summary>
    public static byte[] Decompress(string path, string format, long maxBytes = MaxImageBytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            using Stream decompressed = format switch
            {
                "xz" => new XZStream(file),
                "zstd" => new ZstdSharp.DecompressionStream(file),
                "gzip" => new GZipStream(file, CompressionMode.Decompress),
                _ => throw new ArgumentOutOfRangeException(nameof(format), format, "xz, zstd or gzip"),
            };
            var image = ReadAtMost(decompressed, maxBytes, path);
            if (!image.AsSpan().StartsWith(Elf))
            {
                throw new IOException($"{path} decompressed ({format}) to {image.Length} bytes that are not an ELF kernel module. Reinstall the kernel package that owns it.");
            }

            return image;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ZstdSharp.ZstdException or SharpCompress.Common.SharpCompressException)
        {
            throw new IOException($"decompressing {path} ({format}) failed: {e.Message}. The file is damaged or truncated; reinstall the kernel package that owns it.", e);
        }
    }

    private static byte[] ReadAtMost(Stream stream, long maxBytes, string path)
    {
        using var image = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (image.Length + read > maxBytes)
            {
                throw new IOException(
                    $"{path} decompresses to more than {maxBytes / (1024 * 1024)} MiB, more than any kernel module takes; it was not loaded. " +
                    "The file is damaged or not a module; reinstall the kernel package that owns it.");
            }

            image.Write(buffer, 0, read);
        }

        return image.ToArray();
    }
}
