using System.IO.Pipelines;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Native;

namespace Modulus.Distribution;

/// <summary>Fetch's extraction: the blob through three pipeline stages into a staging directory, checked on the way.</summary>
internal sealed partial class Fetcher
{
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
    private static Task ReadAsync(HashingStream hashing, PipeWriter output, CancellationToken cancellationToken) =>
        StageAsync(output, async () =>
        {
            if (!await PumpAsync(hashing, output, cancellationToken))
            {
                await hashing.CopyToAsync(Stream.Null, cancellationToken);
            }
        });

    /// <summary>The second stage: the blob decompressed into <paramref name="output"/>.</summary>
    private static Task DecompressAsync(PipeReader input, BlobInfo blob, PipeWriter output, CancellationToken cancellationToken) =>
        StageAsync(output, async () =>
        {
            await using var source = input.AsStream();
            await using var decompressed = BlobCompression.Decompress(source, blob.Compression, blob.Key);
            await PumpAsync(decompressed, output, cancellationToken);
        });

    /// <summary>Runs a stage and completes its <paramref name="output"/>, with the stage's exception if it throws, so that the next stage sees it.</summary>
    private static async Task StageAsync(PipeWriter output, Func<Task> stage)
    {
        try
        {
            await stage();
            await output.CompleteAsync();
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e);
            throw;
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="output"/> in segment-sized pieces. False when the next stage
    /// stopped taking them before the end (it is done, or refused an entry).
    /// </summary>
    private static async Task<bool> PumpAsync(Stream source, PipeWriter output, CancellationToken cancellationToken)
    {
        int read;
        while ((read = await source.ReadAsync(output.GetMemory(SegmentSize), cancellationToken)) > 0)
        {
            output.Advance(read);
            if ((await output.FlushAsync(cancellationToken)).IsCompleted)
            {
                return false;
            }
        }

        return true;
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
}
