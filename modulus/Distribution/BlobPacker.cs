using System.Formats.Tar;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;

namespace Modulus.Distribution;

/// <summary>
/// Streams an artifact directory into a compressed tarball (<see cref="BlobCompression"/>) while hashing the
/// compressed bytes: one pass over the data, nothing buffered whole. Every file is hashed as it is packed and must
/// match the manifest, so a blob holds exactly the bytes its manifest lists: fetch relies on it (it checks the blob's
/// hash, not each file's). Entries follow the manifest's sorted file list with fixed owner and time, so the same
/// artifact always gives the same blob (and the same content-addressed key; zstd's multi-threaded output does not
/// depend on the number of threads).
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
                await WriteEntryAsync(tar, artifactDir, entry, progress, cancellationToken);
            }

            await tar.WriteEntryAsync(
                new UstarTarEntry(TarEntryType.RegularFile, Manifest.FileName) { DataStream = new MemoryStream(manifestJson), ModificationTime = FixedTime, Mode = (UnixFileMode)0x1A4 },
                cancellationToken);
        }

        await hashing.FlushAsync(cancellationToken);
        file.Flush(flushToDisk: true);
        return (hashing.FinishHash(), hashing.BytesSeen);
    }

    private static async Task WriteEntryAsync(TarWriter tar, string root, FileEntry listed, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var full = Path.Combine(root, listed.Path);
        var info = new FileInfo(full);
        if (info.LinkTarget is { } target)
        {
            if (target != listed.LinkTarget)
            {
                throw Differs(root, listed, $"a symlink to '{target}', the manifest says {(listed.LinkTarget is null ? "a regular file" : $"'{listed.LinkTarget}'")}");
            }

            await tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.SymbolicLink, listed.Path) { LinkName = target, ModificationTime = FixedTime, Mode = (UnixFileMode)0x1FF }, cancellationToken);
            return;
        }

        if (ArtifactScanner.FormatMode(info.UnixFileMode) is var mode && (listed.LinkTarget is not null || mode != listed.Mode))
        {
            throw Differs(root, listed, listed.LinkTarget is null ? $"mode {mode}, the manifest says {listed.Mode}" : $"a regular file, the manifest says a symlink to '{listed.LinkTarget}'");
        }

        await using var data = new PackedFileStream(
            new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan), progress);
        await tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, listed.Path) { DataStream = data, ModificationTime = FixedTime, Mode = info.UnixFileMode }, cancellationToken);
        if (data.FinishHash() is var sha256 && (sha256 != listed.Sha256 || data.BytesRead != listed.Size))
        {
            throw Differs(root, listed, $"sha256 {sha256} ({data.BytesRead} bytes), the manifest says {listed.Sha256} ({listed.Size} bytes); it changed after it was built");
        }
    }

    private static IntegrityException Differs(string root, FileEntry listed, string what) =>
        new($"{root} does not match its manifest, so it is not published: {listed.Path}: {what}", root);
}
