using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Storage;

namespace Modulus.Distribution;

/// <summary>
/// Publishes an artifact directory: checks its files against its manifest, packs it, uploads the blob under its
/// content hash, and writes manifest.json last, the commit point. Two publishers racing on one key each leave a
/// manifest that names a complete blob, so readers never see a manifest whose blob is missing.
/// </summary>
internal sealed class Publisher(IArtifactStore store, ILogger logger)
{
    public async Task<Manifest> PublishAsync(string artifactDir, CancellationToken cancellationToken)
    {
        var manifest = await ManifestFile.ReadAsync(artifactDir, cancellationToken);
        var problems = await ManifestFile.CompareAsync(artifactDir, manifest, cancellationToken);
        if (problems.Count > 0)
        {
            throw new IntegrityException($"{artifactDir} does not match its manifest, so it is not published: {string.Join("; ", problems.Take(10))}", artifactDir);
        }

        var key = manifest.Key;
        var spool = Path.Combine(Path.GetTempPath(), $"modulus-blob-{Guid.NewGuid():N}.tar.gz");
        try
        {
            // The blob's name is its hash, known only once it is packed: it is spooled to local disk, never held in memory.
            var inner = manifest with { Blob = null };
            await ManifestFile.WriteAsync(artifactDir, inner, cancellationToken);
            var (sha256, size) = await BlobPacker.PackAsync(artifactDir, manifest.Files, spool, cancellationToken);
            var blobKey = StoreLayout.BlobKey(key, sha256);
            if (await store.GetSizeAsync(blobKey, cancellationToken) == size)
            {
                logger.LogInformation("{Store} already has blob {BlobKey}; not uploading it again", store.Location, blobKey);
            }
            else
            {
                using var progress = new TransferProgress($"uploading {blobKey}", size, logger);
                await store.PutFileAsync(blobKey, spool, progress, cancellationToken);
            }

            var published = manifest with { Blob = new BlobInfo(blobKey, sha256, size, BlobPacker.Compression) };
            await store.PutBytesAsync(StoreLayout.ManifestKey(key), ManifestFile.Serialize(published), cancellationToken);
            await ManifestFile.WriteAsync(artifactDir, published, cancellationToken);
            logger.LogInformation("Published {Artifact} to {Store}: {ManifestKey} and {BlobKey} ({SizeMiB:F1} MiB)",
                key.ArtifactName, store.Location, StoreLayout.ManifestKey(key), blobKey, size / 1048576.0);
            return published;
        }
        finally
        {
            File.Delete(spool);
        }
    }
}
