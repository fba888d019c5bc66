using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Files;
using Modulus.Core.Native;
using Modulus.Storage;

namespace Modulus.Distribution;

/// <summary>
/// Takes an artifact out of a store without trusting a byte it has not checked: the blob is hashed while it streams
/// through the decompressor and a refusing tar extractor into a staging directory, every entry is checked against the
/// manifest, and only once the blob's hash matches is the staging directory renamed into place. On any mismatch the
/// destination is left exactly as it was.
/// </summary>
internal sealed class Fetcher(IArtifactStore store, ILogger logger)
{
    /// <summary>The manifest stored for <paramref name="key"/>, or null when the store has none.</summary>
    public async Task<Manifest?> TryReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var manifestKey = StoreLayout.ManifestKey(key);
        if (await store.GetSizeAsync(manifestKey, cancellationToken) is null)
        {
            return null;
        }

        var manifest = await ReadManifestAsync(manifestKey, cancellationToken);
        return manifest.Key == key
            ? manifest
            : throw new IntegrityException($"{store.Location}/{manifestKey} describes {manifest.Key}, not {key}");
    }

    public async Task<Manifest> ReadManifestAsync(string manifestKey, CancellationToken cancellationToken)
    {
        var source = $"{store.Location}/{manifestKey}";
        Manifest manifest;
        try
        {
            await using var stream = await store.OpenReadAsync(manifestKey, cancellationToken);
            manifest = ManifestFile.Parse(await BoundedRead.ReadAllAsync(stream, ManifestRules.MaxBytes, source, cancellationToken), source);
        }
        catch (InvalidDataException e)
        {
            throw new IntegrityException(e.Message, manifestKey);
        }

        return StoreProblem(manifestKey, manifest) is { } problem ? throw new IntegrityException($"{source} is refused: {problem}", manifestKey) : manifest;
    }

    /// <summary>
    /// What the store's layout demands of a manifest beyond its own rules: it lies under its own key (one stored
    /// under another artifact's path would be listed, verified and counted twice), and its blob key is the
    /// canonical one (gc compares keys as strings: <c>blobs/./&lt;sha&gt;</c> would be fetched, and its blob deleted).
    /// </summary>
    private static string? StoreProblem(string manifestKey, Manifest manifest)
    {
        if (StoreLayout.IsManifestKey(manifestKey) && StoreLayout.ManifestKey(manifest.Key) != manifestKey)
        {
            return $"it describes {StoreLayout.ManifestKey(manifest.Key)}, not the key it is stored under";
        }

        if (manifest.Blob is { } blob)
        {
            if (!StoreLayout.BlobExtensions.ContainsKey(blob.Compression))
            {
                return $"its blob is '{blob.Compression}', not one of {string.Join(", ", StoreLayout.BlobExtensions.Keys)}";
            }

            var canonical = StoreLayout.BlobKey(manifest.Key, blob.Sha256, blob.Compression);
            if (blob.Key != canonical)
            {
                return $"its blob key {blob.Key} is not the layout's {canonical}";
            }
        }

        return null;
    }

    /// <summary>
    /// Fetches the artifact described by <paramref name="manifest"/> into <paramref name="relative"/> below
    /// <paramref name="root"/> (the cache root, or the parent of <c>fetch --to</c>; the operator's choice, so it may be
    /// a link). Everything below the root is written through directory handles that never follow a link
    /// (<see cref="DirectoryHandle"/>): the staging directory is made beside the destination, filled, and swapped in.
    /// </summary>
    public async Task FetchAsync(Manifest manifest, string root, string relative, CancellationToken cancellationToken)
    {
        root = Path.GetFullPath(root);
        relative = relative.Trim('/');
        var name = Path.GetFileName(relative);
        var parentRelative = Path.GetDirectoryName(relative) ?? string.Empty;
        var made = OutermostMissing(root, parentRelative);
        using var parent = DirectoryHandle.Open(root, parentRelative);
        RemoveStaleStaging(parent, name);
        var staging = $".{name}.fetch-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var directory = parent.CreateDirectory(staging))
            {
                await ExtractVerifiedAsync(manifest, directory, cancellationToken);
                await ManifestFile.WriteAsync(directory, manifest, cancellationToken);
            }

            Swap(parent, staging, name);
            logger.LogInformation("Fetched {Artifact} from {Store} into {Destination}", manifest.Key.ArtifactName, store.Location, Path.Combine(root, relative));
        }
        catch when (made is not null)
        {
            // Leave nothing behind, not even the parents this fetch made (innermost first, each only while empty).
            parent.Delete(staging);
            for (var dir = parentRelative; dir.Length >= made.Length; dir = Path.GetDirectoryName(dir) ?? string.Empty)
            {
                using var above = DirectoryHandle.Open(root, Path.GetDirectoryName(dir) ?? string.Empty);
                if (!above.RemoveIfEmpty(Path.GetFileName(dir)))
                {
                    break;
                }
            }

            throw;
        }
        finally
        {
            parent.Delete(staging); // gone already (swapped in) is no error
        }
    }

    /// <summary>The outermost directory of <paramref name="relative"/> below <paramref name="root"/> that does not exist yet; null when all do.</summary>
    private static string? OutermostMissing(string root, string relative)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i <= parts.Length; i++)
        {
            var path = string.Join('/', parts[..i]);
            if (!Path.Exists(Path.Combine(root, path)))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Streams the blob into the empty directory <paramref name="directory"/> (opened here; see the overload).</summary>
    public async Task ExtractVerifiedAsync(Manifest manifest, string directory, CancellationToken cancellationToken)
    {
        using var handle = DirectoryHandle.Open(Path.GetFullPath(directory), string.Empty);
        await ExtractVerifiedAsync(manifest, handle, cancellationToken);
    }

    /// <summary>
    /// Streams the blob into <paramref name="directory"/> (empty), checking its hash and size, and every entry against
    /// the manifest (docs/store.md, "Extraction rules"). The files' contents are the blob's: the blob is the one the
    /// manifest names (its SHA-256), and publish packs exactly the bytes whose hashes the manifest lists, checking each
    /// as it packs; <c>verify --store</c> hashes every extracted file again.
    /// </summary>
    public async Task ExtractVerifiedAsync(Manifest manifest, DirectoryHandle directory, CancellationToken cancellationToken)
    {
        var blob = manifest.Blob ?? throw new IntegrityException($"the manifest of {manifest.Key} names no blob; it was never published completely");
        var needed = manifest.Files.Sum(f => f.Size) + SafeTarExtractor.MaxManifestBytes / 16;
        if (directory.AvailableFreeSpace is var free && free < needed)
        {
            throw DiskFull(manifest, directory, needed, free);
        }

        await using var raw = await store.OpenReadAsync(blob.Key, cancellationToken);
        using var progress = new TransferProgress("download", blob.Size, logger, blob.Key);
        await using var hashing = new HashingStream(raw, writing: false, progress);
        IReadOnlyDictionary<string, SafeTarExtractor.Extracted>? extracted = null;
        Exception? failure = null;

        // Three stages on their own threads, bounded buffers between them: reading the blob and hashing it as it comes;
        // decompressing; and (here) the tar reader, checking and writing each entry. On two cores the writes and the
        // decoder each keep one busy, and the blob's hash fits beside them.
        var compressed = new Pipe(PipeOptionsFor(4 << 20));
        var tar = new Pipe(PipeOptionsFor(8 << 20));
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = Task.Run(() => ReadAsync(hashing, compressed.Writer, stopReading.Token), CancellationToken.None);
        var decompressing = Task.Run(() => DecompressAsync(compressed.Reader, blob, tar.Writer, cancellationToken), CancellationToken.None);
        try
        {
            await using var entries = tar.Reader.AsStream();
            extracted = await SafeTarExtractor.ExtractAsync(entries, directory, manifest.Files, cancellationToken);
        }
        catch (IOException e) when (e.HResult is Errno.ENOSPC or Errno.EDQUOT)
        {
            await stopReading.CancelAsync(); // nothing will look at the blob's hash: the rest is not downloaded
            throw DiskFull(manifest, directory, manifest.Files.Sum(f => f.Size), directory.AvailableFreeSpace);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IntegrityException or IOException or ZstdSharp.ZstdException)
        {
            failure = e;
        }
        finally
        {
            await tar.Reader.CompleteAsync(); // a decompressor still writing stops
            try
            {
                await decompressing;
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ZstdSharp.ZstdException or IntegrityException)
            {
                failure ??= e;
            }

            try
            {
                await reading; // it hashes the rest of the blob once the decompressor has stopped
            }
            catch (IOException e)
            {
                failure ??= e;
            }
            catch (OperationCanceledException) when (stopReading.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // stopped on purpose: the disk is full
            }
        }

        var sha256 = hashing.FinishHash();
        if (sha256 != blob.Sha256 || hashing.BytesSeen != blob.Size)
        {
            throw new IntegrityException(
                $"blob {blob.Key} in {store.Location} fails its checksum: sha256 {sha256} ({hashing.BytesSeen} bytes), " +
                $"the manifest says {blob.Sha256} ({blob.Size} bytes). The stored blob is damaged or was replaced; publish the artifact again.",
                blob.Key);
        }

        if (failure is not null)
        {
            throw failure is IntegrityException ? failure : new IntegrityException($"blob {blob.Key} matches its checksum but is not a valid {blob.Compression}-compressed tar: {failure.Message}", blob.Key);
        }

        CheckAgainstManifest(manifest, extracted!);
    }

    /// <summary>Pipe segments of 256 KiB: the decoder and the tar reader move large pieces and wake each other seldom (4 KiB ones cost a fifth of fetch's time).</summary>
    private const int SegmentSize = 256 << 10;

    private static PipeOptions PipeOptionsFor(long bytes) =>
        new(pauseWriterThreshold: bytes, resumeWriterThreshold: bytes / 2, minimumSegmentSize: SegmentSize, useSynchronizationContext: false);

    /// <summary>
    /// The first stage: the blob's bytes, hashed as they are read, into <paramref name="output"/>. Once the decompressor
    /// stops taking them (an entry was refused, the tar is damaged), the rest is only hashed, so that a damaged or
    /// truncated blob is reported as such, whatever the tar reader made of it.
    /// </summary>
    private static async Task ReadAsync(HashingStream hashing, PipeWriter output, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var read = await hashing.ReadAsync(output.GetMemory(SegmentSize), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                output.Advance(read);
                if ((await output.FlushAsync(cancellationToken)).IsCompleted)
                {
                    await hashing.CopyToAsync(Stream.Null, cancellationToken);
                    break;
                }
            }

            await output.CompleteAsync();
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e); // the decompressor sees it
            throw;
        }
    }

    /// <summary>The second stage: the blob decompressed into <paramref name="output"/>, in segment-sized reads.</summary>
    private static async Task DecompressAsync(PipeReader input, BlobInfo blob, PipeWriter output, CancellationToken cancellationToken)
    {
        try
        {
            await using (var source = input.AsStream())
            await using (var decompressed = BlobCompression.Decompress(source, blob.Compression, blob.Key))
            {
                while (true)
                {
                    var read = await decompressed.ReadAsync(output.GetMemory(SegmentSize), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    output.Advance(read);
                    if ((await output.FlushAsync(cancellationToken)).IsCompleted)
                    {
                        break; // the tar reader is done (or refused an entry)
                    }
                }
            }

            await output.CompleteAsync();
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e); // the tar reader sees it
            throw;
        }
    }

    private static ModulusException DiskFull(Manifest manifest, DirectoryHandle directory, long needed, long free) => new(
        $"no space left for {manifest.Key.ArtifactName} in {Path.GetDirectoryName(directory.Path)}: it needs {needed / 1048576.0:F1} MiB, " +
        $"{free / 1048576.0:F1} MiB are free. Free space there (old cache entries: modulus status lists them) or use another --cache-dir/--to; nothing was changed.");

    private static void CheckAgainstManifest(Manifest manifest, IReadOnlyDictionary<string, SafeTarExtractor.Extracted> extracted)
    {
        var problems = new List<string>();
        foreach (var file in manifest.Files)
        {
            if (!extracted.TryGetValue(file.Path, out var found))
            {
                problems.Add($"{file.Path}: missing from the blob");
            }
            else if (found.LinkTarget != file.LinkTarget || found.Size != file.Size || (file.LinkTarget is null && ArtifactScanner.FormatMode(found.Mode) != file.Mode))
            {
                problems.Add($"{file.Path}: differs from the manifest (size {found.Size}, mode {ArtifactScanner.FormatMode(found.Mode)}, link {found.LinkTarget ?? "-"})");
            }
        }

        var listed = manifest.Files.Select(f => f.Path).Append(Manifest.FileName).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(extracted.Keys.Where(k => !listed.Contains(k)).Select(k => $"{k}: in the blob but not in the manifest"));
        if (problems.Count > 0)
        {
            throw new IntegrityException($"the blob of {manifest.Key} does not match its manifest: {string.Join("; ", problems.Take(10))}");
        }
    }

    /// <summary>
    /// Puts <paramref name="staging"/> in place of <paramref name="name"/>, both in <paramref name="parent"/>: one
    /// <c>renameat2(RENAME_EXCHANGE)</c> when the destination exists, so a reader sees the old tree or the new one and
    /// never nothing; a plain rename otherwise. Kernels or filesystems without RENAME_EXCHANGE get two renames, the
    /// old tree aside first. Whatever stood at the name (a planted link included) is removed as itself, never followed.
    /// </summary>
    private static void Swap(DirectoryHandle parent, string staging, string name)
    {
        if (!parent.Contains(name))
        {
            parent.Rename(staging, name);
            return;
        }

        if (parent.TryExchange(staging, name))
        {
            parent.Delete(staging); // now the old tree
            return;
        }

        var old = $".{name}.old-{Environment.ProcessId}-{Guid.NewGuid():N}";
        parent.Rename(name, old);
        parent.Rename(staging, name);
        parent.Delete(old);
    }

    /// <summary>Staging and aside dirs of earlier fetches to this destination whose process is gone (killed mid-fetch).</summary>
    private void RemoveStaleStaging(DirectoryHandle parent, string name)
    {
        foreach (var leftover in parent.Names().Where(n => n.StartsWith($".{name}.", StringComparison.Ordinal)))
        {
            var parts = leftover[(name.Length + 2)..].Split('-');
            if (parts.Length >= 3 && parts[0] is "fetch" or "old" && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                logger.LogInformation("Removing {Dir}, left by an interrupted fetch (process {Pid} is gone)", Path.Combine(parent.Path, leftover), pid);
                parent.Delete(leftover);
            }
        }
    }
}
