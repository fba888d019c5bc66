using Modulus.Cache;
using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;

namespace Modulus.Install;

internal sealed partial class Installer
{
    /// <summary>
    /// A verified cache entry (null only in a dry run that would compile): the cached one when its files still match its manifest (a tampered or half-written
    /// entry is removed), else fetched from the store, else compiled when allowed, else exit 3.
    /// </summary>
    private async Task<Manifest?> EnsureArtifactAsync(ArtifactKey key, string entry, CancellationToken cancellationToken)
    {
        if (TryReadCachedManifest(entry) is { } cached && cached.Key == key)
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
            Step($"remove the damaged or incomplete cache entry {entry}", () => Directory.Delete(entry, recursive: true));
        }

        var fetcher = store is null ? null : new Fetcher(store, logger);
        if (fetcher is not null && await fetcher.TryReadManifestAsync(key, cancellationToken) is { } published)
        {
            await StepAsync($"fetch {key.ArtifactName} from {store!.Location} into {entry}", () => fetcher.FetchAsync(published, entry, cancellationToken));
            bytesFetched = request.DryRun ? 0 : published.Blob?.Size ?? 0;
            return request.DryRun ? published : await ManifestFile.ReadAsync(entry, cancellationToken);
        }

        if (compile is not null)
        {
            logger.LogInformation("{Store} has no {Artifact}; compiling it (allowCompilation)", store?.Location ?? "no store", key);
            var built = string.Empty;
            await StepAsync($"compile {key.ArtifactName} through dev-builder", async () => built = await compile(cancellationToken));
            return request.DryRun ? null : await ManifestFile.ReadAsync(built, cancellationToken);
        }

        if (store is null)
        {
            throw new ModulusException($"{key} is not in the cache {request.CacheDir}, no --store is given and compilation is not allowed", ExitCodes.NotInStore);
        }

        throw await new StoreCatalog(store, fetcher!, logger).NotInStoreAsync(key, cancellationToken);
    }

    /// <summary>Keeps the live entry and the newest <see cref="InstallRequest.KeepCacheEntries"/> others.</summary>
    private void RemoveOldCacheEntries(string live)
    {
        var others = new HostCache(request.CacheDir).Entries().Select(e => e.Directory)
            .Where(e => Path.GetFullPath(e) != Path.GetFullPath(live))
            .OrderByDescending(Directory.GetLastWriteTimeUtc).ToList();
        foreach (var old in others.Skip(request.KeepCacheEntries))
        {
            Step($"remove the old cache entry {old}", () => Directory.Delete(old, recursive: true));
        }
    }
}
