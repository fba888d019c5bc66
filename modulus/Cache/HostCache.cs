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

    public string Root { get; } = root;

    public string Staging => Path.Combine(Root, StagingName);

    public string Build => Path.Combine(Root, BuildName);

    public string EntryPath(ArtifactKey key) => Path.Combine(Root, key.CachePath);

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

        return [.. Directory.EnumerateDirectories(Root)
            .Where(gl => Path.GetFileName(gl) is var name && !name.StartsWith('.') && name != BuildName)
            .SelectMany(Directory.EnumerateDirectories)
            .SelectMany(Directory.EnumerateDirectories)
            .Select(dir => new CacheEntry(Path.GetRelativePath(Root, dir), dir))
            .OrderBy(e => e.Name, StringComparer.Ordinal)];
    }
}

/// <summary>One cache entry: <c>&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c> and its directory.</summary>
internal sealed record CacheEntry(string Name, string Directory)
{
    public bool HasManifest => File.Exists(Path.Combine(Directory, Manifest.FileName));
}
