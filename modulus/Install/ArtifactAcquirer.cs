using Microsoft.Extensions.Logging;
using Modulus.Cache;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Install;

/// <summary>
/// The install's host cache side: a verified cache entry of the wanted artifact (the cached one when its files
/// still match its manifest, else fetched from the store, else compiled when allowed, else exit 3), staging
/// leftovers cleaned first, and old entries pruned once the new one is live. Nothing on the node changes here but
/// the cache.
/// </summary>
internal sealed class ArtifactAcquirer(IArtifactStore? store, IArtifactCompiler? compiler, ILogger logger)
{
    /// <summary>The entry's manifest when it has a readable one; null otherwise (a damaged entry is fetched again).</summary>
    public static Manifest? TryReadCached(string entry)
    {
        try
        {
            var path = Path.Combine(entry, Manifest.FileName);
            return File.Exists(path) ? ManifestFile.Parse(File.ReadAllBytes(path), path) : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Removes what interrupted writes left in <c>&lt;cache&gt;/.staging</c>.</summary>
    public static void CleanStaging(InstallRun run)
    {
        var staging = run.Cache.Staging;
        RemovePlantedLinks(run, staging);
        if (Directory.Exists(staging) && new DirectoryInfo(staging).LinkTarget is null && Directory.EnumerateFileSystemEntries(staging).Any())
        {
            run.Do($"remove leftovers in {staging}", () =>
            {
                foreach (var leftover in Directory.EnumerateFileSystemEntries(staging))
                {
                    run.Cache.Delete(leftover);
                }
            });
        }
    }

    /// <summary>The verified manifest of <see cref="InstallRun.Entry"/>; null only in a dry run that would compile.</summary>
    public async Task<Manifest?> AcquireAsync(InstallRun run, CancellationToken cancellationToken)
    {
        var (key, entry) = (run.Key, run.Entry);
        RemovePlantedLinks(run, entry);
        if (TryReadCached(entry) is { } cached && cached.Key == key)
        {
            var problems = await ManifestFile.CompareAsync(entry, cached, cancellationToken);
            if (problems.Count == 0)
            {
                logger.LogInformation("Using the verified cache entry {Entry}", entry);
                return cached;
            }

            logger.LogWarning("The cache entry {Entry} does not match its manifest ({Problems}); fetching it again", entry, string.Join("; ", problems.Take(5)));
        }

        if (Directory.Exists(entry))
        {
            run.Do($"remove the damaged or incomplete cache entry {entry}", () => run.Cache.Delete(entry));
        }

        var fetcher = store is null ? null : new Fetcher(store, logger);
        if (fetcher is not null && await fetcher.TryReadManifestAsync(key, cancellationToken) is { } published)
        {
            await run.DoAsync($"fetch {key.ArtifactName} from {store!.Location} into {entry}", () => fetcher.FetchAsync(published, run.Cache.Root, HostCache.EntryRelative(key), cancellationToken));
            if (run.DryRun)
            {
                return published;
            }

            run.BytesFetched = published.Blob?.Size ?? 0;
            return await ManifestFile.ReadAsync(entry, cancellationToken);
        }

        if (compiler is not null)
        {
            logger.LogInformation("{Store} has no {Artifact}; compiling it (allowCompilation)", store?.Location ?? "no store", key);
            var built = string.Empty;
            await run.DoAsync($"compile {key.ArtifactName} through dev-builder", async () => built = await compiler.CompileAsync(key, cancellationToken));
            return run.DryRun ? null : await ManifestFile.ReadAsync(built, cancellationToken);
        }

        if (store is null)
        {
            throw new ModulusException($"{key} is not in the cache {run.Cache.Root}, no --store is given and compilation is not allowed", ExitCodes.NotInStore);
        }

        throw await new StoreCatalog(store, fetcher!, logger).NotInStoreAsync(key, cancellationToken);
    }

    /// <summary>
    /// Removes a symbolic link on the way to <paramref name="path"/> (the link itself, never what it names): the cache
    /// is a hostPath that other pods may be able to write, and every name below its root is Modulus's to make. Following
    /// one would let a planted link turn a cleanup or a fetch into a delete or a write anywhere on the host.
    /// </summary>
    private static void RemovePlantedLinks(InstallRun run, string path)
    {
        foreach (var (link, target) in run.Cache.LinksOnTheWayTo(path))
        {
            run.Do($"remove the symbolic link {link} (to {target}) from the cache: Modulus never follows a link it did not make; its target is left as it is",
                () => File.Delete(link));
        }
    }

    /// <summary>Keeps the live entry and the newest <see cref="InstallRequest.KeepCacheEntries"/> others.</summary>
    public static void Prune(InstallRun run)
    {
        var others = run.Cache.Entries().Select(e => e.Directory)
            .Where(e => Path.GetFullPath(e) != Path.GetFullPath(run.Entry))
            .OrderByDescending(Directory.GetLastWriteTimeUtc).ToList();
        foreach (var old in others.Skip(run.Request.KeepCacheEntries))
        {
            run.Do($"remove the old cache entry {old}", () => run.Cache.Delete(old));
        }
    }
}
