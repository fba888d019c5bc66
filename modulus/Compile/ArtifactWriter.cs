using Modulus.Cache;
using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Native;

namespace Modulus.Compile;

/// <summary>
/// Turns a finished build directory into a cache entry: moves it to <c>&lt;cache&gt;/.staging/</c>, checks the
/// modules were built for the right kernel, writes manifest.json, and renames the whole into
/// <c>&lt;cache&gt;/&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/</c>. Readers see either the old entry or the new one, never half of one.
/// Every move and write is made relative to directory handles (<see cref="DirectoryHandle"/>), never through a link.
/// </summary>
internal sealed class ArtifactWriter(ILogger<ArtifactWriter> logger)
{
    public async Task<(string Directory, Manifest Manifest)> CommitAsync(
        string cacheDir, string buildDir, ArtifactKey key, DriverKind driverKind, BuildInfo build, CancellationToken cancellationToken)
    {
        var cache = new HostCache(cacheDir);
        var root = Path.GetFullPath(cacheDir);
        var built = Path.GetRelativePath(root, Path.GetFullPath(buildDir));
        var belowCache = built != "." && !built.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(built);

        var stagingName = $"{key.ArtifactName}-{Guid.NewGuid():N}";
        var planted = cache.LinksOnTheWayTo(Path.Combine(cache.Staging, stagingName)).Concat(cache.LinksOnTheWayTo(cache.EntryPath(key))).ToList();
        if (planted.Count > 0)
        {
            throw new ModulusException($"{planted[0].Path} is a symbolic link (to {planted[0].Target}), which Modulus did not make and does not follow: remove it from the cache {cacheDir} and compile again");
        }

        // From here on every move and write goes through directory handles (no link followed, no path looked up again):
        // the cache is a hostPath that other pods may write.
        using var stagingParent = DirectoryHandle.Open(root, HostCache.StagingName);
        // dev-builder's <cache>/build/<job> is reached from the cache root, no link followed; a build directory elsewhere
        // (the caller's own choice) from its parent as given.
        using (var buildParent = belowCache
                   ? DirectoryHandle.Open(root, Path.GetDirectoryName(built) ?? string.Empty)
                   : DirectoryHandle.Open(Path.GetDirectoryName(Path.GetFullPath(buildDir))!, string.Empty))
        {
            buildParent.MoveTo(Path.GetFileName(Path.GetFullPath(buildDir)), stagingParent, stagingName);
        }

        try
        {
            using var staging = stagingParent.OpenDirectory(stagingName);
            var modules = ArtifactScanner.ScanModules(staging.Here, key.KernelRelease);
            if (modules.Count == 0)
            {
                throw new ModulusException($"the build of {key} produced no kernel modules in lib/modules/{key.KernelRelease}/");
            }

            var foreign = modules.FirstOrDefault(m => m.Vermagic.Split(' ')[0] != key.KernelRelease);
            if (foreign is not null)
            {
                throw new ModulusException($"module {foreign.Name} was built for '{foreign.Vermagic.Split(' ')[0]}', not for kernel {key.KernelRelease} (vermagic '{foreign.Vermagic}'); the dev container's headers do not match");
            }

            var files = await ArtifactScanner.ScanFilesAsync(staging.Here, cancellationToken);
            if (ArtifactLinks.FindProblem(files) is { } link)
            {
                throw new ModulusException(
                    $"the build of {key} is refused: {link}. An artifact may hold only relative symlinks that stay inside it (docs/manifest.md); fix the recipe that made the link");
            }

            var manifest = new Manifest
            {
                Driver = new DriverInfo(key.Name, key.Version, key.ModuleType, driverKind),
                GardenlinuxVersion = key.GardenlinuxVersion,
                KernelRelease = key.KernelRelease,
                Arch = key.Arch,
                Files = files,
                Modules = modules,
                Build = build,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            await ManifestFile.WriteAsync(staging, manifest, cancellationToken);

            using var entryParent = DirectoryHandle.Open(root, Path.Combine(key.GardenlinuxVersion, key.KernelRelease));
            Replace(stagingParent, stagingName, entryParent, key.ArtifactName);
            var final = cache.EntryPath(key);
            logger.LogInformation("Wrote {Artifact} to {Directory}: {Files} files, {Modules} modules", key.ArtifactName, final, manifest.Files.Count, modules.Count);
            return (final, manifest);
        }
        catch
        {
            TryDelete(stagingParent, stagingName);
            throw;
        }
    }

    /// <summary>
    /// Puts the staged entry in place of <paramref name="name"/>: one <c>renameat2(RENAME_EXCHANGE)</c> when an older
    /// entry exists (readers see the old one or the new one, never none), else a rename; the older entry is removed.
    /// </summary>
    private void Replace(DirectoryHandle stagingParent, string staging, DirectoryHandle entryParent, string name)
    {
        if (!entryParent.Contains(name))
        {
            stagingParent.MoveTo(staging, entryParent, name);
            return;
        }

        if (!stagingParent.TryExchange(staging, entryParent, name))
        {
            var old = staging + ".old";
            entryParent.MoveTo(name, stagingParent, old);
            stagingParent.MoveTo(staging, entryParent, name);
            staging = old;
        }

        TryDelete(stagingParent, staging); // the older entry now
    }

    private void TryDelete(DirectoryHandle parent, string name)
    {
        try
        {
            parent.Delete(name);
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not remove {Dir}: {Error}", Path.Combine(parent.Path, name), e.Message);
        }
    }
}
