using Modulus.Core.Artifacts;

namespace Modulus.Cache;

/// <summary>
/// The one owner of the host cache layout (docs/manifest.md): entries at <c>&lt;root&gt;/&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/</c>,
/// written through <c>&lt;root&gt;/.staging/</c>, dev-builder's output area <c>&lt;root&gt;/build/</c>, and the
/// install's record <c>&lt;root&gt;/last-install.json</c>. Everything that lists, writes or cleans the cache asks here.
/// </summary>
internal sealed class HostCache(string root)
{
    public const string StagingName = ".staging";
    public const string BuildName = "build";
    public const string LastInstallName = "last-install.json";

    public string Root { get; } = root;

    public string Staging => Path.Combine(Root, StagingName);

    public string Build => Path.Combine(Root, BuildName);

    /// <summary>The outcome of the last install on this node (<c>Install/InstallState</c>).</summary>
    public string LastInstall => Path.Combine(Root, LastInstallName);

    /// <summary>
    /// Removes <paramref name="path"/> (a file, a link itself, or a directory tree) below the root without following
    /// a link anywhere on the way or inside it (<see cref="Core.Native.Beneath"/>): a link planted or swapped in by
    /// another writer of the hostPath is refused by the kernel, never followed out of the cache.
    /// </summary>
    public void Delete(string path)
    {
        var relative = System.IO.Path.GetRelativePath(System.IO.Path.GetFullPath(Root), System.IO.Path.GetFullPath(path));
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative))
        {
            throw new ArgumentException($"{path} is not below the cache {Root}", nameof(path));
        }

        Core.Native.Beneath.Delete(System.IO.Path.GetFullPath(Root), relative);
    }

    public string EntryPath(ArtifactKey key) => Path.Combine(Root, EntryRelative(key));

    /// <summary><c>&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c>: where the entry of <paramref name="key"/> lies below the root.</summary>
    public static string EntryRelative(ArtifactKey key) => Path.Combine(key.GardenlinuxVersion, key.KernelRelease, key.ArtifactName);

    /// <summary>
    /// Every entry directory (three levels below the root, outside <c>.staging</c>, <c>build</c> and other dot
    /// dirs), with or without a manifest, sorted by its path relative to the root.
    /// </summary>
    public IReadOnlyList<CacheEntry> Entries()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        // Only real directories: a link planted at any level (the cache is a hostPath other pods may write) is not
        // an entry, so nothing that lists, prunes or verifies entries ever reaches through it.
        return [.. RealDirectories(Root)
            .Where(gl => Path.GetFileName(gl) is var name && !name.StartsWith('.') && name != BuildName)
            .SelectMany(RealDirectories)
            .SelectMany(RealDirectories)
            .Select(dir => new CacheEntry(Path.GetRelativePath(Root, dir), dir))
            .OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The symbolic links on the way from the root to <paramref name="path"/> (<paramref name="path"/> included, the
    /// root itself not), outermost first: names in the cache that Modulus did not make and must not follow.
    /// </summary>
    public IReadOnlyList<(string Path, string Target)> LinksOnTheWayTo(string path)
    {
        var relative = System.IO.Path.GetRelativePath(Root, path);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative))
        {
            return [];
        }

        var links = new List<(string, string)>();
        var current = Root;
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = System.IO.Path.Combine(current, part);
            if (new FileInfo(current).LinkTarget is { } target)
            {
                links.Add((current, target));
                break; // what lies beyond a link is not in the cache
            }
        }

        return links;
    }

    private static IEnumerable<string> RealDirectories(string directory) =>
        Directory.EnumerateDirectories(directory).Where(d => new DirectoryInfo(d).LinkTarget is null);
}

/// <summary>One cache entry: <c>&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c> and its directory.</summary>
internal sealed record CacheEntry(string Name, string Directory)
{
    public bool HasManifest => File.Exists(Path.Combine(Directory, Manifest.FileName));
}
