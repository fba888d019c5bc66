using System.Text.Json;
using Modulus.Core.Pipes;

namespace Modulus.Core.Artifacts;

/// <summary>Reads and writes manifest.json (indented JSON, written to a temp name, flushed and renamed).</summary>
public static class ManifestFile
{
    public static byte[] Serialize(Manifest manifest) => ProtocolJson.ToIndentedUtf8(manifest);

    public static Manifest Parse(ReadOnlySpan<byte> json, string source)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, ProtocolJson.Info<Manifest>(ProtocolJson.Options));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid manifest: {e.Message}", e);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{source} is empty");
        }

        if (manifest.SchemaVersion is < Manifest.OldestSchemaVersion or > Manifest.CurrentSchemaVersion)
        {
            throw new InvalidDataException(
                $"{source} has schema version {manifest.SchemaVersion}; this modulus reads versions {Manifest.OldestSchemaVersion} to {Manifest.CurrentSchemaVersion}" +
                (manifest.SchemaVersion > Manifest.CurrentSchemaVersion ? ": it was written by a newer modulus, so use that one (or newer) to read it" : string.Empty));
        }

        if (ManifestRules.FindProblem(manifest) is { } problem)
        {
            throw new InvalidDataException($"{source} is not a valid manifest: {problem}");
        }

        if (ArtifactLinks.FindProblem(manifest.Files) is { } link)
        {
            throw new InvalidDataException(
                $"{source} is refused: {link}. An artifact holds only relative symlinks that stay inside it (docs/manifest.md); rebuild it with this modulus");
        }

        return manifest;
    }

    public static async Task<Manifest> ReadAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, Manifest.FileName);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        return Parse(await Files.BoundedRead.ReadAllAsync(stream, ManifestRules.MaxBytes, path, cancellationToken), path);
    }

    public static async Task WriteAsync(string directory, Manifest manifest, CancellationToken cancellationToken)
    {
        // A fresh temp name created with O_EXCL, then rename(2) over the name manifest.json itself, a symlink included.
        await Files.AtomicFile.WriteAllBytesAsync(Path.Combine(directory, Manifest.FileName), Serialize(manifest), cancellationToken);
    }

    /// <summary>Writes manifest.json into the open <paramref name="directory"/> (a staging dir of the cache), relative to its handle.</summary>
    public static Task WriteAsync(Native.DirectoryHandle directory, Manifest manifest, CancellationToken cancellationToken)
    {
        var content = Serialize(manifest);
        return Files.AtomicFile.WriteInAsync(directory, Manifest.FileName, stream => stream.WriteAsync(content, cancellationToken).AsTask(), cancellationToken);
    }

    /// <summary>
    /// What differs between the files in <paramref name="directory"/> and the manifest's list: missing, extra,
    /// changed content, mode or link target. Empty when they match.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CompareAsync(string directory, Manifest manifest, CancellationToken cancellationToken, IProgress<long>? progress = null) =>
        Compare(await ArtifactScanner.ScanFilesAsync(directory, cancellationToken, progress), manifest);

    /// <summary>
    /// <see cref="CompareAsync"/> without reading a file: missing, extra, size, mode or link target. Publish checks
    /// this before it packs, and every file's content as it packs it.
    /// </summary>
    public static IReadOnlyList<string> CompareLayout(string directory, Manifest manifest) =>
        Compare(ArtifactScanner.ListFiles(directory), manifest);

    private static List<string> Compare(IReadOnlyList<FileEntry> files, Manifest manifest)
    {
        var actual = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var expected in manifest.Files)
        {
            if (!actual.Remove(expected.Path, out var found))
            {
                problems.Add($"{expected.Path}: missing");
            }
            else if (found.LinkTarget != expected.LinkTarget)
            {
                problems.Add($"{expected.Path}: link target '{found.LinkTarget}', manifest says '{expected.LinkTarget}'");
            }
            else if (found.Sha256 is not null && found.Sha256 != expected.Sha256)
            {
                problems.Add($"{expected.Path}: sha256 {found.Sha256}, manifest says {expected.Sha256}");
            }
            else if (found.Size != expected.Size)
            {
                problems.Add($"{expected.Path}: {found.Size} bytes, manifest says {expected.Size}");
            }
            else if (found.Mode != expected.Mode)
            {
                problems.Add($"{expected.Path}: mode {found.Mode}, manifest says {expected.Mode}");
            }
        }

        problems.AddRange(actual.Keys.Order(StringComparer.Ordinal).Select(extra => $"{extra}: not in the manifest"));
        return problems;
    }
}
