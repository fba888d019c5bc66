using Modulus.Cache;
using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;

namespace Modulus.Compile;

/// <summary>
/// Turns a finished build directory into a cache entry: moves it to <c>&lt;cache&gt;/.staging/</c>, checks the
/// modules were built for the right kernel, writes manifest.json, and renames the whole into
/// <c>&lt;cache&gt;/&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/</c>. Readers see either the old entry or the new one, never half of one.
/// </summary>
internal sealed class ArtifactWriter(ILogger<ArtifactWriter> logger)
{
    public async Task<(string Directory, Manifest Manifest)> CommitAsync(
        string cacheDir, string buildDir, ArtifactKey key, DriverKind driverKind, BuildInfo build, CancellationToken cancellationToken)
    {
        var cache = new HostCache(cacheDir);
        var staging = Path.Combine(cache.Staging, $"{key.ArtifactName}-{Guid.NewGuid():N}");
        var planted = cache.LinksOnTheWayTo(staging).Concat(cache.LinksOnTheWayTo(cache.EntryPath(key))).ToList();
        if (planted.Count > 0)
        {
            throw new ModulusException($"{planted[0].Path} is a symbolic link (to {planted[0].Target}), which Modulus did not make and does not follow: remove it from the cache {cacheDir} and compile again");
        }

        Directory.CreateDirectory(cache.Staging);
        Directory.Move(buildDir, staging);
        try
        {
            var modules = ArtifactScanner.ScanModules(staging, key.KernelRelease);
            if (modules.Count == 0)
            {
                throw new ModulusException($"the build of {key} produced no kernel modules in lib/modules/{key.KernelRelease}/");
            }

            var foreign = modules.FirstOrDefault(m => m.Vermagic.Split(' ')[0] != key.KernelRelease);
            if (foreign is not null)
            {
                throw new ModulusException($"module {foreign.Name} was built for '{foreign.Vermagic.Split(' ')[0]}', not for kernel {key.KernelRelease} (vermagic '{foreign.Vermagic}'); the dev container's headers do not match");
            }

            var files = await ArtifactScanner.ScanFilesAsync(staging, cancellationToken);
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

            var final = cache.EntryPath(key);
            Replace(cache, staging, final);
            logger.LogInformation("Wrote {Artifact} to {Directory}: {Files} files, {Modules} modules", key.ArtifactName, final, manifest.Files.Count, modules.Count);
            return (final, manifest);
        }
        catch
        {
            TryDelete(cache, staging);
            throw;
        }
    }

    /// <summary>Renames <paramref name="staging"/> to <paramref name="final"/>, moving an older entry aside first.</summary>
    private void Replace(HostCache cache, string staging, string final)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        string? old = null;
        if (Directory.Exists(final))
        {
            old = staging + ".old";
            Directory.Move(final, old);
        }

        Directory.Move(staging, final);
        if (old is not null)
        {
            TryDelete(cache, old);
        }
    }

    private void TryDelete(HostCache cache, string dir)
    {
        try
        {
            cache.Delete(dir);
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not remove {Dir}: {Error}", dir, e.Message);
        }
    }
}
