using System.Formats.Tar;
using Modulus.Core.Artifacts;

namespace Modulus.Distribution;

/// <summary>
/// Streams an artifact directory into a compressed tarball (<see cref="BlobCompression"/>) while hashing the
/// compressed bytes: one pass over the data, nothing buffered whole. Entries follow the manifest's sorted file list
/// with fixed owner and time, so the same artifact always gives the same blob (and the same content-addressed key;
/// zstd's multi-threaded output does not depend on the number of threads).
/// </summary>
internal static class BlobPacker
{
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Packs the listed files and, last, <paramref name="manifestJson"/> as manifest.json (from memory: the directory's own is not touched).</summary>
    public static async Task<(string Sha256, long Size)> PackAsync(string artifactDir, IReadOnlyList<FileEntry> files, byte[] manifestJson, string target, string compression, CancellationToken cancellationToken, IProgress<long>? progress = null)
    {
        await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using var hashing = new HashingStream(file, writing: true);
        await using (var compressed = BlobCompression.Compress(hashing, compression))
        await using (var tar = new TarWriter(compressed, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var entry in files)
            {
                await WriteEntryAsync(tar, artifactDir, entry.Path, progress, cancellationToken);
            }

            await tar.WriteEntryAsync(
                new UstarTarEntry(TarEntryType.RegularFile, Manifest.FileName) { DataStream = new MemoryStream(manifestJson), ModificationTime = FixedTime, Mode = (UnixFileMode)0x1A4 },
                cancellationToken);
        }

        await hashing.FlushAsync(cancellationToken);
        file.Flush(flushToDisk: true);
        return (hashing.FinishHash(), hashing.BytesSeen);
    }

    private static async Task WriteEntryAsync(TarWriter tar, string root, string path, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var full = Path.Combine(root, path);
        var info = new FileInfo(full);
        if (info.LinkTarget is { } target)
        {
            await tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.SymbolicLink, path) { LinkName = target, ModificationTime = FixedTime, Mode = (UnixFileMode)0x1FF }, cancellationToken);
            return;
        }

        var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using Stream data = progress is null ? file : new ProgressStream(file, progress);
        var entry = new UstarTarEntry(TarEntryType.RegularFile, path)
        {
            DataStream = data,
            ModificationTime = FixedTime,
            Mode = info.UnixFileMode,
        };
        await tar.WriteEntryAsync(entry, cancellationToken);
    }
}
