using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Storage;

namespace Modulus.Distribution;

/// <summary>
/// Removes blobs that no manifest names (docs/store.md, "Garbage collection"): a <c>--force</c> compile or a second
/// publish leaves the old blob behind. Only blobs older than the grace period go, and the manifests are read after
/// the objects were listed, so a publisher racing with gc — blob first, manifest last — never loses its blob: its
/// blob is younger than the grace period, and a manifest written after the listing is read too.
/// </summary>
internal sealed class GarbageCollector(IArtifactStore store, ILogger logger)
{
    public async Task<IReadOnlyList<StoreObject>> CollectAsync(TimeSpan olderThan, bool dryRun, CancellationToken cancellationToken)
    {
        var objects = await store.ListObjectsAsync(string.Empty, cancellationToken);
        var blobs = objects.Where(o => StoreLayout.IsBlobKey(o.Key)).ToList();
        var fetcher = new Fetcher(store, logger);
        var catalog = await new StoreCatalog(store, fetcher, logger).ReadAllAsync(string.Empty, cancellationToken);
        var unreadable = catalog.Where(e => e.Manifest is null).ToList();
        if (unreadable.Count > 0)
        {
            throw new ModulusException(
                $"{unreadable.Count} manifest(s) in {store.Location} cannot be read ({string.Join(", ", unreadable.Take(3).Select(e => e.ManifestKey))}); " +
                "gc removes nothing while it cannot tell which blobs they name. Fix or remove them first (modulus verify lists them).");
        }

        var named = catalog.Select(e => e.Manifest!.Blob?.Key).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var cutoff = DateTimeOffset.UtcNow - olderThan;
        var garbage = blobs.Where(b => !named.Contains(b.Key) && b.LastModified < cutoff).OrderBy(b => b.Key, StringComparer.Ordinal).ToList();
        var young = blobs.Count(b => !named.Contains(b.Key) && b.LastModified >= cutoff);
        foreach (var blob in garbage)
        {
            if (dryRun)
            {
                logger.LogInformation("Would remove {Key} ({Bytes} bytes, written {At:u}): no manifest names it", blob.Key, blob.Size, blob.LastModified);
                continue;
            }

            await store.DeleteAsync(blob.Key, cancellationToken);
            logger.LogInformation("Removed {Key} ({Bytes} bytes, written {At:u}): no manifest names it", blob.Key, blob.Size, blob.LastModified);
        }

        if (young > 0)
        {
            logger.LogInformation("Kept {Count} unnamed blob(s) younger than {Hours:0.#} h: a publisher may still be writing their manifests", young, olderThan.TotalHours);
        }

        return garbage;
    }
}
