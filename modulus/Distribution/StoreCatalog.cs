using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Storage;

namespace Modulus.Distribution;

/// <summary>What a store holds: every committed manifest.</summary>
internal sealed class StoreCatalog(IArtifactStore store, Fetcher fetcher, ILogger logger)
{
    public async Task<IReadOnlyList<(string ManifestKey, Manifest? Manifest, string? Problem)>> ReadAllAsync(string prefix, CancellationToken cancellationToken)
    {
        var keys = (await store.ListAsync(prefix, cancellationToken)).Where(StoreLayout.IsManifestKey).Order(StringComparer.Ordinal).ToList();
        var results = new (string, Manifest?, string?)[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, token) =>
        {
            try
            {
                results[i] = (keys[i], await fetcher.ReadManifestAsync(keys[i], token), null);
            }
            catch (Exception e) when (e is IntegrityException or StoreException)
            {
                logger.LogWarning("Cannot read {ManifestKey}: {Error}", keys[i], e.Message);
                results[i] = (keys[i], null, e.Message);
            }
        });
        return results;
    }

    /// <summary>The exit-3 error for a key the store lacks, naming it and what the store holds for that Garden Linux version.</summary>
    public async Task<ModulusException> NotInStoreAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var held = (await ReadAllAsync(StoreLayout.GardenlinuxPrefix(key.GardenlinuxVersion), cancellationToken))
            .Select(m => m.Manifest is { } found ? $"{found.KernelRelease}/{found.Key.ArtifactName}" : m.ManifestKey).ToList();
        var listing = held.Count == 0 ? "nothing" : string.Join(", ", held);
        return new ModulusException(
            $"{store.Location} has no {StoreLayout.ManifestKey(key)}; for Garden Linux {key.GardenlinuxVersion} it holds {listing}. " +
            "Compile it (allowCompilation) or choose a driver version and kernel that were published.",
            ExitCodes.NotInStore);
    }
}
