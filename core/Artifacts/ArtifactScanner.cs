using System.Security.Cryptography;

namespace Modulus.Core.Artifacts;

/// <summary>Reads an artifact directory into the file and module lists of its manifest.</summary>
public static class ArtifactScanner
{
    /// <summary>
    /// Every regular file and symlink below <paramref name="root"/> but manifest.json, sorted by path; files are
    /// hashed on every core, and <paramref name="progress"/> hears the bytes of each file once it is hashed.
    /// </summary>
    public static async Task<IReadOnlyList<FileEntry>> ScanFilesAsync(string root, CancellationToken cancellationToken, IProgress<long>? progress = null)
    {
        var found = Find(root);

        // Largest first, so that one big module does not start last and leave the other cores idle.
        var entries = new FileEntry[found.Count];
        var order = Enumerable.Range(0, found.Count).OrderByDescending(i => found[i].Info.LinkTarget is null ? found[i].Info.Length : 0);
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var (relative, info) = found[i];
            entries[i] = Entry(relative, info, info.LinkTarget is null ? await HashFileAsync(info.FullName, token) : null);
            progress?.Report(entries[i].Size);
        });

        return [.. entries.OrderBy(e => e.Path, StringComparer.Ordinal)];
    }

    /// <summary>What <see cref="ScanFilesAsync"/> finds, without reading a file: <c>Sha256</c> is null throughout.</summary>
    public static IReadOnlyList<FileEntry> ListFiles(string root) =>
        [.. Find(root).Select(f => Entry(f.Relative, f.Info, null)).OrderBy(e => e.Path, StringComparer.Ordinal)];

    /// <summary>The manifest entry of a symlink (mode 0777, no size) or a regular file with <paramref name="sha256"/>.</summary>
    private static FileEntry Entry(string relative, FileInfo info, string? sha256) => info.LinkTarget is { } target
        ? new FileEntry(relative, null, 0, "0777", target)
        : new FileEntry(relative, sha256, info.Length, FormatMode(info.UnixFileMode), null);

    /// <summary>Every regular file and symlink below <paramref name="root"/> but manifest.json.</summary>
    private static List<(string Relative, FileInfo Info)> Find(string root)
    {
        var found = new List<(string Relative, FileInfo Info)>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var info = new FileInfo(path);
            if (relative != Manifest.FileName && (info.LinkTarget is not null || !info.Attributes.HasFlag(FileAttributes.Directory)))
            {
                found.Add((relative, info));
            }
        }

        return found;
    }

    /// <summary>The <c>.ko</c> files below <c>lib/modules/&lt;kernel&gt;/</c>, in load order.</summary>
    public static IReadOnlyList<ModuleEntry> ScanModules(string root, string kernelRelease)
    {
        var dir = Path.Combine(root, "lib", "modules", kernelRelease);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var found = Directory.EnumerateFiles(dir, "*.ko", SearchOption.AllDirectories)
            .Select(path => (Path: Path.GetRelativePath(root, path).Replace('\\', '/'), Info: KernelModuleInfo.Read(path)))
            .ToList();
        var duplicate = found.GroupBy(m => m.Info.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"module {duplicate.Key} is there twice: {string.Join(", ", duplicate.Select(m => m.Path))}");
        }

        return [.. ModuleLoadOrder.Sort(found, m => m.Info.Name, m => m.Info.Depends)
            .Select(m => new ModuleEntry(m.Info.Name, m.Path, m.Info.Vermagic) { Depends = m.Info.Depends })];
    }

    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    public static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');
}
