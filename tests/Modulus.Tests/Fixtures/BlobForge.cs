using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Modulus.Core.Artifacts;
using Modulus.Storage;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// Forges what an attacker with write access to the bucket could publish: a tar.gz of any entries and a manifest
/// that lists them as the attacker likes, with the blob's true hash and size, so that only the extraction rules
/// stand between it and the node.
/// </summary>
public static class BlobForge
{
    /// <param name="ListedSha256">What the manifest says the file's SHA-256 is; by default the true one (of its zeros).</param>
    public sealed record Entry(string Name, TarEntryType Type, long Size = 0, string? Link = null, UnixFileMode Mode = (UnixFileMode)0x1A4, string? ListedSha256 = null);

    public static Entry File(string name, long size, UnixFileMode mode = (UnixFileMode)0x1A4) => new(name, TarEntryType.RegularFile, size, Mode: mode);

    public static Entry Symlink(string name, string target) => new(name, TarEntryType.SymbolicLink, Link: target);

    /// <summary>
    /// Publishes the forged blob under <paramref name="template"/>'s key; the manifest lists <paramref name="listed"/>
    /// (default: every entry, as it is in the tar) and names the blob with its real SHA-256.
    /// </summary>
    public static async Task PublishAsync(StoreTarget store, Manifest template, IReadOnlyList<Entry> entries, IReadOnlyList<Entry>? listed = null)
    {
        var blob = TarGz(entries);
        var sha = Convert.ToHexStringLower(SHA256.HashData(blob));
        var blobKey = $"{StoreLayout.ArtifactPrefix(template.Key)}/blobs/{sha}.tar.gz";
        var files = (listed ?? entries).Select(e => e.Type == TarEntryType.SymbolicLink
            ? new FileEntry(e.Name, null, 0, "0777", e.Link)
            : new FileEntry(e.Name, e.ListedSha256 ?? ZerosSha256(e.Size), e.Size, ArtifactScanner.FormatMode(e.Mode), null)).ToList();
        var forged = template with { Files = files, Modules = [], Blob = new BlobInfo(blobKey, sha, blob.Length, "gzip") };
        await store.PutAsync(blobKey, blob);
        await store.PutAsync($"{StoreLayout.ArtifactPrefix(template.Key)}/manifest.json", ManifestFile.Serialize(forged));
    }

    /// <summary>Regular files hold zeros: a large one compresses to almost nothing, like a decompression bomb.</summary>
    private static byte[] TarGz(IReadOnlyList<Entry> entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                tar.WriteEntry(e.Type == TarEntryType.SymbolicLink
                    ? new PaxTarEntry(TarEntryType.SymbolicLink, e.Name) { LinkName = e.Link! }
                    : new PaxTarEntry(e.Type, e.Name) { DataStream = new ZeroStream(e.Size), Mode = e.Mode });
            }
        }

        return buffer.ToArray();
    }

    private static string ZerosSha256(long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var zeros = new byte[1 << 16];
        for (var left = size; left > 0; left -= zeros.Length)
        {
            hash.AppendData(zeros, 0, (int)Math.Min(left, zeros.Length));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A stream of <c>length</c> zero bytes that holds none of them.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => position; set => position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - position);
            Array.Clear(buffer, offset, n);
            position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
