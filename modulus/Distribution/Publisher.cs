using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Storage;

namespace Modulus.Distribution;

/// <summary>
/// Publishes an artifact directory: checks its files against its manifest (their contents as it packs them), packs
/// it, uploads the blob under its content hash, and writes manifest.json last, the commit point. Two publishers racing on one key each leave a
/// manifest that names a complete blob, so readers never see a manifest whose blob is missing.
/// </summary>
internal sealed class Publisher(IArtifactStore store, ILogger logger)
{
    /// <summary>Unfinished uploads older than this are a killed publisher's, not a racing one's.</summary>
    public static readonly TimeSpan StaleWriteAge = TimeSpan.FromHours(1);

    /// <summary>The blob format (<see cref="BlobCompression"/>): zstd unless --compression says gzip.</summary>
    public string Compression { get; init; } = BlobCompression.Default;

    public async Task<Manifest> PublishAsync(string artifactDir, CancellationToken cancellationToken)
    {
        using var exclusive = LockFor(artifactDir);
        var manifest = await ManifestFile.ReadAsync(artifactDir, cancellationToken);
        var bytes = manifest.Files.Sum(f => f.Size);

        // Names, sizes, modes and links now; every file's content as it is packed (BlobPacker), read once.
        var problems = ManifestFile.CompareLayout(artifactDir, manifest);
        if (problems.Count > 0)
        {
            throw new IntegrityException($"{artifactDir} does not match its manifest, so it is not published: {string.Join("; ", problems.Take(10))}", artifactDir);
        }

        var key = manifest.Key;
        await RemoveStaleWritesAsync(key, cancellationToken);
        var spool = Spool.Create();
        try
        {
            // The blob's name is its hash, known only once it is packed: it is spooled to local disk, never held in memory.
            // The manifest inside the blob has no blob (it cannot name its own hash); the directory's manifest is only
            // rewritten once the store has committed.
            var inner = ManifestFile.Serialize(manifest with { Blob = null });
            string sha256;
            long size;
            using (var packing = new TransferProgress("pack", bytes, logger, key.ArtifactName))
            {
                (sha256, size) = await BlobPacker.PackAsync(artifactDir, manifest.Files, inner, spool, Compression, cancellationToken, packing);
            }

            var blobKey = StoreLayout.BlobKey(key, sha256, Compression);
            var reused = await store.GetSizeAsync(blobKey, cancellationToken) == size && await TryTouchAsync(blobKey, cancellationToken);
            if (reused)
            {
                logger.LogInformation("{Store} already has blob {BlobKey}; not uploading it again (its gc grace period starts again now)", store.Location, blobKey);
            }
            else
            {
                await UploadAsync(blobKey, spool, size, cancellationToken);
            }

            var published = manifest with { Blob = new BlobInfo(blobKey, sha256, size, Compression) };
            await store.PutBytesAsync(StoreLayout.ManifestKey(key), ManifestFile.Serialize(published), cancellationToken);
            if (reused && await store.GetSizeAsync(blobKey, cancellationToken) != size)
            {
                // A gc that chose the blob before it was touched removed it meanwhile: the manifest names it, so it goes up again.
                logger.LogWarning("{BlobKey} was removed from {Store} (by a gc) while this publish re-used it; uploading it again", blobKey, store.Location);
                await UploadAsync(blobKey, spool, size, cancellationToken);
            }

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

    private async Task UploadAsync(string blobKey, string spool, long size, CancellationToken cancellationToken)
    {
        using var progress = new TransferProgress("upload", size, logger, blobKey);
        await store.PutFileAsync(blobKey, spool, progress, cancellationToken);
    }

    /// <summary>Restarts a re-used blob's age (gc counts its grace period from it); false when the store cannot, and the blob is uploaded again instead.</summary>
    private async Task<bool> TryTouchAsync(string blobKey, CancellationToken cancellationToken)
    {
        try
        {
            await store.TouchAsync(blobKey, cancellationToken);
            return true;
        }
        catch (StoreException e)
        {
            logger.LogInformation("Could not restart the age of {BlobKey} in {Store} ({Error}); uploading it again instead", blobKey, store.Location, e.Message);
            return false;
        }
    }

    /// <summary>What a killed publish of this artifact left in the store an hour ago or more; a failure here never fails the publish.</summary>
    private async Task RemoveStaleWritesAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        try
        {
            var removed = await store.RemoveStaleWritesAsync($"{StoreLayout.ArtifactPrefix(key)}/", StaleWriteAge, cancellationToken);
            if (removed > 0)
            {
                logger.LogInformation("Removed {Count} unfinished upload(s) of {Artifact} older than {Hours} h from {Store}", removed, key.ArtifactName, StaleWriteAge.TotalHours, store.Location);
            }
        }
        catch (StoreException e) when (e.InnerException is Amazon.Runtime.AmazonServiceException { StatusCode: System.Net.HttpStatusCode.NotImplemented })
        {
            logger.LogDebug("{Store} cannot list unfinished multipart uploads (501); a bucket lifecycle rule for incomplete multipart uploads removes them", store.Location);
        }
        catch (StoreException e)
        {
            logger.LogWarning("Could not look for unfinished uploads of {Artifact} in {Store} ({Error}); a bucket lifecycle rule for incomplete multipart uploads removes them", key.ArtifactName, store.Location, e.Message);
        }
    }

    /// <summary>
    /// One publish of a directory at a time: an exclusive lock (flock, released when the process dies) on
    /// <c>.&lt;dir&gt;.publish-lock</c> beside it, outside the artifact so it is never part of one.
    /// </summary>
    private static FileStream? LockFor(string artifactDir)
    {
        var full = Path.GetFullPath(artifactDir.TrimEnd('/'));
        var path = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.publish-lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException)
        {
            return null; // a read-only parent: publish without the lock
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new ModulusException($"another publish of {full} is running (it holds {path}); wait for it to finish, then run this one again if it is still needed ({e.Message})");
        }
    }

    /// <summary>Spooled blobs live in one directory, named by the publishing process, so that leftovers of a killed publish are found and removed.</summary>
    internal static class Spool
    {
        public static string Directory => Path.Combine(Path.GetTempPath(), "modulus-spool");

        /// <summary>A new spool file path; first removes the spool files of processes that no longer run.</summary>
        public static string Create()
        {
            System.IO.Directory.CreateDirectory(Directory);
            foreach (var leftover in System.IO.Directory.EnumerateFiles(Directory, "blob-*"))
            {
                var pid = Path.GetFileName(leftover).Split('-')[1];
                if (int.TryParse(pid, System.Globalization.CultureInfo.InvariantCulture, out var id) && id != Environment.ProcessId && !System.IO.Directory.Exists($"/proc/{id}"))
                {
                    File.Delete(leftover);
                }
            }

            return Path.Combine(Directory, $"blob-{Environment.ProcessId}-{Guid.NewGuid():N}.tar");
        }
    }
}
