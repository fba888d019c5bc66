using System.IO.Compression;
using Modulus.Core.Errors;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Modulus.Distribution;

/// <summary>
/// The blob formats: <c>zstd</c> (the default since 0.2: level 3 on every core, ≈ 4× faster to pack than gzip and
/// faster to unpack) and <c>gzip</c> (what stores written before hold, still read, and writable with
/// <c>--compression gzip</c>). The manifest's <c>blob.compression</c> says which one a blob is. zstd blobs are
/// decoded by the machine's libzstd where it has one (<see cref="NativeZstd"/>), else by ZstdSharp.
/// </summary>
internal static class BlobCompression
{
    public const string Zstd = "zstd";
    public const string Gzip = "gzip";
    public const string Default = Zstd;

    public static readonly IReadOnlyList<string> Names = [Zstd, Gzip];

    /// <summary>zstd's level: 3 is its default, the knee of its speed/size curve for ELF binaries.</summary>
    public const int ZstdLevel = 3;

    public static string Validate(string? name, string option = "--compression") =>
        name is Zstd or Gzip ? name : throw new InvalidInputException($"{option} '{name}' is not valid: expected zstd or gzip");

    public static Stream Compress(Stream target, string name)
    {
        switch (name)
        {
            case Zstd:
                var zstd = new CompressionStream(target, ZstdLevel, leaveOpen: true);
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, Environment.ProcessorCount);

                // The frame carries the XXH64 of its content, which every decoder checks: the bytes that come out are the
                // ones that went in (fetch trusts the files because the blob's hash matches; this covers the decoder).
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                return zstd;
            case Gzip:
                return new GZipStream(target, CompressionLevel.Optimal, leaveOpen: true);
            default:
                throw Unknown(name, "(no blob)");
        }
    }

    public static Stream Decompress(Stream source, string name, string blobKey) => name switch
    {
        Zstd => NativeZstd.Library?.Decompress(source) ?? new DecompressionStream(source, leaveOpen: true),
        Gzip => new GZipStream(source, CompressionMode.Decompress, leaveOpen: true),
        _ => throw Unknown(name, blobKey),
    };

    private static IntegrityException Unknown(string name, string blobKey) =>
        new($"blob {blobKey} is compressed with '{name}', which this modulus cannot read (it reads {string.Join(" and ", Names)}); use a newer modulus", blobKey);
}
