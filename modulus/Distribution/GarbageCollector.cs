using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Storage;

namespace Modulus.Distribution;

/// <summary>
/// Removes blobs that no manifest names (docs/store.md, "Garbage collection"): a <c>--force</c> compile or a second
/// publish leaves the old blob behind. Only blobs older than the grace period go. A publisher racing with gc —
/// blob first (or, re-using one, a touch that restarts its age), manifest last — never loses its blob: the objects
/// are listed before the manifests are read; once the candidates are chosen the manifests are read again; and each
/// candidate's age is read again just before it is deleted, so a blob touched meanwhile stays. The publisher checks
/// its re-used blob once more after writing its manifest and uploads it again if gc won the last step.
/// </summary>
internal sealed class GarbageCollector(IArtifactStore store, ILogger logger)
{
    public async Task<IReadOnlyList<StoreObject>> CollectAsync(TimeSpan olderThan, bool dryRun, CancellationToken cancellationToken)
    {
        var objects = await store.ListObjectsAsync(string.Empty, cancellationToken);
        var blobs = objects.Where(o => StoreLayout.IsBlobKey(o.Key)).ToList();
        var named = await NamedBlobsAsync(cancellationToken);
        var cutoff = DateTimeOffset.UtcNow - olderThan;
        var candidates = blobs.Where(b => !named.Contains(b.Key) && b.LastModified < cutoff).OrderBy(b => b.Key, StringComparer.Ordinal).ToList();
        var young = blobs.Count(b => !named.Contains(b.Key) && b.LastModified >= cutoff);
        if (candidates.Count > 0)
        {
            named = await NamedBlobsAsync(cancellationToken); // a publisher may have committed a manifest naming one meanwhile
        }

        var garbage = new List<StoreObject>();
        foreach (var candidate in candidates)
        {
            if (named.Contains(candidate.Key))
            {
                logger.LogInformation("Kept {Key}: a manifest committed while gc ran names it", candidate.Key);
                continue;
            }

            var now = await store.StatAsync(candidate.Key, cancellationToken);
            if (now is null || now.LastModified >= cutoff)
            {
                if (now is not null)
                {
                    logger.LogInformation("Kept {Key}: a publish re-used it at {At:u}, while gc ran", candidate.Key, now.LastModified);
                }

                continue;
            }

            garbage.Add(now);
            if (dryRun)
            {
                logger.LogInformation("Would remove {Key} ({Bytes} bytes, written {At:u}): no manifest names it", now.Key, now.Size, now.LastModified);
                continue;
            }

            await store.DeleteAsync(now.Key, cancellationToken);
            logger.LogInformation("Removed {Key} ({Bytes} bytes, written {At:u}): no manifest names it", now.Key, now.Size, now.LastModified);
        }

        if (young > 0)
        {
            logger.LogInformation("Kept {Count} unnamed blob(s) younger than {Hours:0.#} h: a publisher may still be writing their manifests", young, olderThan.TotalHours);
        }

        return garbage;
    }

    /// <summary>The blob keys every committed manifest names; gc stops when one cannot be read, as it cannot tell what that one names.</summary>
    private async Task<HashSet<string>> NamedBlobsAsync(CancellationToken cancellationToken)
    {
        var catalog = await new StoreCatalog(store, new Fetcher(store, logger), logger).ReadAllAsync(string.Empty, cancellationToken);
        var unreadable = catalog.Where(e => e.Manifest is null).ToList();
        if (unreadable.Count > 0)
        {
            throw new ModulusException(
                $"{unreadable.Count} manifest(s) in {store.Location} cannot be read ({string.Join(", ", unreadable.Take(3).Select(e => e.ManifestKey))}); " +
                "gc removes nothing while it cannot tell which blobs they name. Fix or remove them first (modulus verify lists them).");
        }

        return catalog.Select(e => e.Manifest!.Blob?.Key).OfType<string>().ToHashSet(StringComparer.Ordinal);
    }
}
