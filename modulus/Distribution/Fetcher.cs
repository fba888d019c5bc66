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
internal sealed partial class Fetcher(IArtifactStore store, ILogger logger)
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
