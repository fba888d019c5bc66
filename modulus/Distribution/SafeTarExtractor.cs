using System.Buffers;
using System.Formats.Tar;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Files;
using Modulus.Core.Native;

namespace Modulus.Distribution;

/// <summary>
/// Extracts a blob's tar stream into an empty directory and trusts none of it (docs/store.md, "Extraction rules").
/// Every entry is checked against the manifest that was read first, before a byte of it is written: it must be
/// listed, with the listed type, size, mode and link target, else extraction stops at once (which also bounds a
/// decompression bomb to the manifest's sizes). Refused outright: absolute paths, '..', hard links, device nodes,
/// FIFOs, setuid/setgid bits, repeated names, names of Modulus' own temporary files, entries written through a
/// symlink, and symlinks whose target — resolved through the links extracted so far — leaves the artifact.
/// Everything is made relative to directory handles, files with O_CREAT|O_EXCL|O_NOFOLLOW (never through an existing name
/// or link). Contents are the caller's to vouch for (fetch checks the blob's hash, verify hashes every file). Returns
/// what was extracted.
/// </summary>
internal static class SafeTarExtractor
{
    /// <summary>The longest manifest.json a blob may carry (it is not listed in itself).</summary>
    public const long MaxManifestBytes = 16 << 20;

    public sealed record Extracted(string Path, long Size, UnixFileMode Mode, string? LinkTarget);

    /// <summary>Extracts into the empty directory <paramref name="root"/> (opened here; see the overload).</summary>
    public static async Task<IReadOnlyDictionary<string, Extracted>> ExtractAsync(
        Stream tarStream, string root, IReadOnlyList<FileEntry> listed, CancellationToken cancellationToken)
    {
        using var directory = DirectoryHandle.Open(Path.GetFullPath(root), string.Empty);
        return await ExtractAsync(tarStream, directory, listed, cancellationToken);
    }

    /// <summary>
    /// Extracts into the empty, open directory <paramref name="root"/>. Every directory, file and link is made relative
    /// to a handle of its parent, and each parent was opened from its own parent without following a link
    /// (<see cref="DirectoryHandle"/>): nothing written here can land outside <paramref name="root"/>, whoever else
    /// writes beside it.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, Extracted>> ExtractAsync(
        Stream tarStream, DirectoryHandle root, IReadOnlyList<FileEntry> listed, CancellationToken cancellationToken)
    {
        var expected = listed.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var directories = listed.SelectMany(f => Parents(f.Path)).ToHashSet(StringComparer.Ordinal);
        var extracted = new Dictionary<string, Extracted>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        using var opened = new OpenDirectories(root);
        await using var reader = new TarReader(tarStream, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = CheckName(entry.Name);
            if (extracted.ContainsKey(name))
            {
                throw Refuse(name, "appears twice");
            }

            if ((entry.Mode & (UnixFileMode.SetUser | UnixFileMode.SetGroup)) != 0)
            {
                throw Refuse(name, "has the setuid or setgid bit");
            }

            var mode = entry.Mode & (UnixFileMode)0x1FF;
            var leaf = Path.GetFileName(name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (!directories.Contains(name))
                    {
                        throw Refuse(name, "is a directory the manifest does not imply");
                    }

                    _ = OnDisk(name, () => opened.Get(name));
                    continue;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    CheckListedFile(name, entry, mode, expected);
                    extracted[name] = await WriteFileAsync(entry, name, OnDisk(name, () => opened.Parent(name)), leaf, mode, cancellationToken);
                    continue;
                case TarEntryType.SymbolicLink:
                    var link = entry.LinkName;
                    if (!expected.TryGetValue(name, out var listedLink) || listedLink.LinkTarget is null)
                    {
                        throw Refuse(name, $"is a symlink (to '{link}') the manifest does not list as one");
                    }

                    if (listedLink.LinkTarget != link)
                    {
                        throw Refuse(name, $"is a symlink to '{link}', the manifest says '{listedLink.LinkTarget}'");
                    }

                    links[name] = link;
                    foreach (var (from, to) in links)
                    {
                        // A new link may change where an earlier one leads: check them all against the links as they are now.
                        if (Path.IsPathRooted(to) || !ArtifactLinks.ResolvesInside(from, to, links))
                        {
                            throw Refuse(from, $"is a symlink to '{to}', outside the artifact{(from == name ? string.Empty : $" once '{name}' links to '{link}'")}");
                        }
                    }

                    OnDisk(name, () => opened.Parent(name).CreateSymlink(leaf, link));
                    extracted[name] = new Extracted(name, 0, (UnixFileMode)0x1FF, link);
                    continue;
                case TarEntryType.HardLink:
                    throw Refuse(name, $"is a hard link (to '{entry.LinkName}'); artifacts carry no hard links");
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                    throw Refuse(name, "is a device node");
                case TarEntryType.Fifo:
                    throw Refuse(name, "is a FIFO");
                default:
                    throw Refuse(name, $"has the unsupported tar entry type {entry.EntryType}");
            }
        }

        return extracted;
    }

    /// <summary>A regular file must be listed as one, with the listed size and mode; manifest.json itself is bounded in size.</summary>
    private static void CheckListedFile(string name, TarEntry entry, UnixFileMode mode, Dictionary<string, FileEntry> expected)
    {
        if (name == Manifest.FileName)
        {
            if (entry.Length > MaxManifestBytes)
            {
                throw Refuse(name, $"is {entry.Length} bytes, more than a manifest may be ({MaxManifestBytes})");
            }

            return;
        }

        if (!expected.TryGetValue(name, out var want) || want.LinkTarget is not null)
        {
            throw Refuse(name, want is null ? "is not in the manifest" : $"is a regular file, the manifest lists a symlink to '{want.LinkTarget}'");
        }

        if (entry.Length != want.Size)
        {
            throw Refuse(name, $"is {entry.Length} bytes, the manifest says {want.Size}");
        }

        if (ArtifactScanner.FormatMode(mode) != want.Mode)
        {
            throw Refuse(name, $"has mode {ArtifactScanner.FormatMode(mode)}, the manifest says {want.Mode}");
        }
    }

    private static async Task<Extracted> WriteFileAsync(TarEntry entry, string name, DirectoryHandle parent, string leaf, UnixFileMode mode, CancellationToken cancellationToken)
    {
        long size = 0;

        // O_CREAT|O_EXCL|O_NOFOLLOW relative to the parent's handle: it fails on any existing name, a symlink included.
        // Plain writes: this runs on the fetch's own pipeline stage, and Linux has no asynchronous file I/O that .NET
        // uses, so asynchronous writes would only hand every write to the thread pool. 64 KiB pieces stay in the
        // CPU's caches between the copy out of the pipe and the copy into the page cache (larger ones measured slower).
        await using (var file = OnDisk(name, () => parent.CreateFile(leaf, mode, bufferSize: 0)))
        {
            if (entry.DataStream is { } data)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
                try
                {
                    int n;
                    while ((n = await data.ReadAsync(buffer.AsMemory(0, 1 << 16), cancellationToken)) > 0)
                    {
                        file.Write(buffer, 0, n);
                        size += n;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        return new Extracted(name, size, mode, null);
    }

    /// <summary>
    /// The directories made so far, each opened once from its parent's handle (never through a link): an entry below
    /// a symlink an earlier entry made, or below a file, is refused by the kernel and reported as the tar's fault.
    /// </summary>
    private sealed class OpenDirectories(DirectoryHandle root) : IDisposable
    {
        private readonly Dictionary<string, DirectoryHandle> handles = new(StringComparer.Ordinal);

        public DirectoryHandle Parent(string name) => Get(Path.GetDirectoryName(name) ?? string.Empty);

        public DirectoryHandle Get(string directory)
        {
            if (directory.Length == 0)
            {
                return root;
            }

            if (!handles.TryGetValue(directory, out var handle))
            {
                var parent = Parent(directory);
                handle = parent.CreateDirectory(Path.GetFileName(directory));
                handles[directory] = handle;
            }

            return handle;
        }

        public void Dispose()
        {
            foreach (var handle in handles.Values)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>A write the kernel refuses because a link or a file stands where the tar needs a directory, or the name exists: the tar's fault.</summary>
    private static T OnDisk<T>(string name, Func<T> write)
    {
        try
        {
            return write();
        }
        catch (IOException e) when (e.HResult is Errno.ELOOP or Errno.ENOTDIR or Errno.EEXIST)
        {
            throw Refuse(name, e.HResult == Errno.ELOOP ? "would be written through a symlink" : $"cannot be made: {e.Message}");
        }
    }

    private static void OnDisk(string name, Action write) => OnDisk(name, () =>
    {
        write();
        return true;
    });

    private static string CheckName(string raw)
    {
        var name = raw.StartsWith("./", StringComparison.Ordinal) ? raw[2..] : raw;
        name = name.TrimEnd('/');
        if (name.Length == 0 || raw.StartsWith('/') || name.Contains('\0') || name.Contains('\\'))
        {
            throw Refuse(raw, "is an absolute or malformed path");
        }

        var parts = name.Split('/');
        if (parts.Any(part => part is ".." or "." or ""))
        {
            throw Refuse(raw, "has '..', '.' or empty path segments");
        }

        if (parts.Any(IsTemporaryName))
        {
            throw Refuse(raw, "is named like one of Modulus' own temporary files");
        }

        return name;
    }

    /// <summary>What Modulus names its own scratch files: atomic writes' temp names (<see cref="AtomicFile"/>), *.tmp of older versions, .fetch-*, .old-*, .staging.</summary>
    public static bool IsTemporaryName(string part) =>
        AtomicFile.IsTempName(part) || part.EndsWith(".tmp", StringComparison.Ordinal) || part.Contains(".fetch-", StringComparison.Ordinal) ||
        part.Contains(".old-", StringComparison.Ordinal) || part == ".staging";

    private static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/'); i > 0; i = path.IndexOf('/', i + 1))
        {
            yield return path[..i];
        }
    }

    private static IntegrityException Refuse(string name, string why) =>
        new($"refusing tar entry '{name}': it {why}", name);
}
