using System.Formats.Tar;
using System.Security.Cryptography;
using Modulus.Core.Errors;

namespace Modulus.Distribution;

/// <summary>
/// Extracts a blob's tar stream into an empty directory and trusts none of it: refuses absolute paths, '..',
/// symlinks that point outside the artifact (or are written through), hard links, device nodes, FIFOs, setuid and
/// setgid bits, and repeated names. Returns what was extracted, with each regular file's SHA-256.
/// </summary>
internal static class SafeTarExtractor
{
    public sealed record Extracted(string Path, string? Sha256, long Size, UnixFileMode Mode, string? LinkTarget);

    public static async Task<IReadOnlyDictionary<string, Extracted>> ExtractAsync(Stream tarStream, string root, CancellationToken cancellationToken)
    {
        root = Path.GetFullPath(root);
        var extracted = new Dictionary<string, Extracted>(StringComparer.Ordinal);
        await using var reader = new TarReader(tarStream, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = CheckName(entry.Name);
            if (extracted.ContainsKey(name))
            {
                throw Refuse(name, "appears twice");
            }

            var target = Path.GetFullPath(Path.Combine(root, name));
            if (!IsInside(root, target))
            {
                throw Refuse(name, "lies outside the artifact");
            }

            if ((entry.Mode & (UnixFileMode.SetUser | UnixFileMode.SetGroup)) != 0)
            {
                throw Refuse(name, "has the setuid or setgid bit");
            }

            var mode = entry.Mode & (UnixFileMode)0x1FF;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    CheckParents(root, target, name);
                    Directory.CreateDirectory(target);
                    continue;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    CheckParents(root, target, name);
                    extracted[name] = await WriteFileAsync(entry, name, target, mode, cancellationToken);
                    continue;
                case TarEntryType.SymbolicLink:
                    CheckParents(root, target, name);
                    var link = entry.LinkName;
                    if (Path.IsPathRooted(link) || !IsInside(root, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, link))))
                    {
                        throw Refuse(name, $"is a symlink to '{link}', outside the artifact");
                    }

                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.CreateSymbolicLink(target, link);
                    extracted[name] = new Extracted(name, null, 0, (UnixFileMode)0x1FF, link);
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

    private static async Task<Extracted> WriteFileAsync(TarEntry entry, string name, string target, UnixFileMode mode, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            if (entry.DataStream is { } data)
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await data.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    size += n;
                }
            }
        }

        File.SetUnixFileMode(target, mode);
        return new Extracted(name, Convert.ToHexStringLower(hash.GetHashAndReset()), size, mode, null);
    }

    private static string CheckName(string raw)
    {
        var name = raw.StartsWith("./", StringComparison.Ordinal) ? raw[2..] : raw;
        name = name.TrimEnd('/');
        if (name.Length == 0 || raw.StartsWith('/') || name.Contains('\0') || name.Contains('\\'))
        {
            throw Refuse(raw, "is an absolute or malformed path");
        }

        if (name.Split('/').Any(part => part is ".." or "." or ""))
        {
            throw Refuse(raw, "has '..', '.' or empty path segments");
        }

        return name;
    }

    /// <summary>No entry may be written through a symlink that an earlier entry made.</summary>
    private static void CheckParents(string root, string target, string name)
    {
        for (var dir = Path.GetDirectoryName(target); dir is not null && dir.Length > root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                throw Refuse(name, "would be written through a symlink");
            }
        }
    }

    private static bool IsInside(string root, string path) => path == root || path.StartsWith(root + "/", StringComparison.Ordinal);

    private static IntegrityException Refuse(string name, string why) =>
        new($"refusing tar entry '{name}': it {why}", name);
}
