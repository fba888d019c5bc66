using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Files;

namespace Modulus.Install;

/// <summary>
/// The one owner of <c>&lt;host driver path&gt;/nvidia</c>, the link to the live cache entry (the original
/// installer's layout, and the GPU Operator's <c>hostPaths.driverInstallDir</c>): where it is as seen from here,
/// which entry it names, and pointing it at another. The link is relative (<c>../modulus/cache/…</c>), so that it
/// names the same entry however the host is seen — through <c>/host</c>, a bind mount, a hostPath volume; an absolute
/// link resolves against the viewer's root, and NVIDIA's toolkit then silently finds no libraries
/// (docs/manifest.md). Older absolute links are still read, and replaced at the next install.
/// </summary>
internal sealed class DriverLink(HostSettings host)
{
    /// <summary>The link as the host sees it, normalized: what to give the GPU Operator as <c>hostPaths.driverInstallDir</c>.</summary>
    public string HostPath { get; } = System.IO.Path.GetFullPath(System.IO.Path.Combine(host.HostDriverPath, "nvidia"));

    /// <summary>The link, as seen from here.</summary>
    public string Path => host.HostPath(HostPath);

    /// <summary>What the link says, or null when there is none (or something else is there).</summary>
    public string? Target => new FileInfo(Path).LinkTarget;

    /// <summary>The directory of the driver's libraries as the host sees it through the link (for its ld.so.conf.d).</summary>
    public string HostLibraryDirectory(ArtifactLayout layout) => System.IO.Path.Combine(HostPath, layout.Libraries);

    /// <summary>The cache entry the link names, as the host sees it; null when there is no link.</summary>
    public string? LiveEntryOnHost() => Target is { } target ? Resolve(target) : null;

    /// <summary>
    /// The cache entry the link names, as seen from here: through the cache dir when the entry lies in the host's
    /// cache (the chart mounts it at the same path), else through the host root; null when there is no link.
    /// </summary>
    public string? LiveEntry()
    {
        if (LiveEntryOnHost() is not { } onHost)
        {
            return null;
        }

        var cache = System.IO.Path.GetFullPath(host.CacheDir).TrimEnd('/');
        var cacheOnHost = host.OnHost(cache);
        return onHost.StartsWith(cacheOnHost + "/", StringComparison.Ordinal)
            ? cache + onHost[cacheOnHost.Length..]
            : System.IO.Path.GetFullPath(host.HostPath(onHost));
    }

    /// <summary>Whether the link names <paramref name="entry"/> (a path as seen from here) in the form this version writes.</summary>
    public bool PointsAt(string entry) => Target == TargetFor(entry);

    /// <summary>Whether the link names <paramref name="entry"/> in any form (an older absolute link included).</summary>
    public bool Names(string entry) => LiveEntryOnHost() == host.OnHost(System.IO.Path.GetFullPath(entry));

    /// <summary>The link's target for <paramref name="entry"/>: the entry relative to the link's directory on the host.</summary>
    public string TargetFor(string entry) => System.IO.Path.GetRelativePath(System.IO.Path.GetDirectoryName(HostPath)!, host.OnHost(System.IO.Path.GetFullPath(entry)));

    /// <summary>
    /// Points the link at <paramref name="entry"/> in one step: a new link renamed over the old one, or swapped with
    /// an empty directory in its place (the kubelet makes one when the GPU Operator's pods mount the driver path as a
    /// <c>DirectoryOrCreate</c> hostPath before the first install). Anything else at the path is refused, as is a
    /// symlink on the way to it: paths on the host are not ours to follow.
    /// </summary>
    public void Point(string entry)
    {
        var parent = System.IO.Path.GetDirectoryName(Path)!;
        RefuseLinkedParents(parent);
        Directory.CreateDirectory(parent);
        var existing = new FileInfo(Path);
        if (!existing.Exists && !Directory.Exists(Path) || existing.LinkTarget is not null)
        {
            AtomicFile.ReplaceSymlink(Path, TargetFor(entry));
            return;
        }

        if (!Directory.Exists(Path))
        {
            throw new ModulusException($"{HostPath} on the host is a file, not the driver link Modulus keeps there; move it away (or choose another hostDriverPath), then run the installer again");
        }

        if (Directory.EnumerateFileSystemEntries(Path).Any())
        {
            throw new ModulusException(
                $"{HostPath} on the host is a directory with content, not the driver link Modulus keeps there (another driver installation?); " +
                "move it away (or choose another hostDriverPath), then run the installer again");
        }

        // An empty directory: swap a new link in for it, then remove the directory (now at the link's temp name).
        var temp = AtomicFile.TempPathFor(Path);
        File.CreateSymbolicLink(temp, TargetFor(entry));
        if (!AtomicFile.TryExchange(temp, Path))
        {
            Directory.Delete(Path);
            AtomicFile.Rename(temp, Path);
            return;
        }

        Directory.Delete(temp);
    }

    /// <summary>A relative target is relative to the link's directory on the host.</summary>
    private string Resolve(string target) =>
        System.IO.Path.IsPathRooted(target) ? target : System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(HostPath)!, target));

    private void RefuseLinkedParents(string parent)
    {
        var root = System.IO.Path.GetFullPath(host.HostRoot).TrimEnd('/');
        var path = root;
        foreach (var part in System.IO.Path.GetRelativePath(root.Length == 0 ? "/" : root, parent).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            if (new DirectoryInfo(path).LinkTarget is { } link)
            {
                throw new ModulusException(
                    $"{host.OnHost(path)} on the host is a symlink (to {link}); Modulus does not follow links on its way to the driver path {HostPath}. " +
                    "Set hostDriverPath to a real directory path on the host, then run the installer again.");
            }
        }
    }
}
