using System.Text.RegularExpressions;

namespace Modulus.Core.Artifacts;

/// <summary>
/// A manifest validated as a whole before any use (docs/manifest.md): every required field present, every file
/// and module path a plain relative path inside the artifact, every module one of its files, hashes that are
/// SHA-256 hex. What the store adds (the key it lies under, the canonical blob key) is checked by the store's readers.
/// </summary>
public static partial class ManifestRules
{
    /// <summary>The most a manifest.json may hold; a driver's manifest is tens of KiB.</summary>
    public const int MaxBytes = 16 << 20;

    /// <summary>Why <paramref name="manifest"/> cannot be used, or null when it can.</summary>
    public static string? FindProblem(Manifest manifest)
    {
        // Deserialized JSON may hold null wherever the record says a value is required ("driver": null).
        if (manifest.Driver is null || Blank(manifest.Driver.Name) || Blank(manifest.Driver.Version))
        {
            return "it has no driver name and version";
        }

        if (Blank(manifest.GardenlinuxVersion) || Blank(manifest.KernelRelease) || Blank(manifest.Arch))
        {
            return "it lacks one of gardenlinuxVersion, kernelRelease and arch";
        }

        if (manifest.Build is null)
        {
            return "it has no build record";
        }

        if (manifest.Files is null || manifest.Files.Any(f => f is null))
        {
            return "its file list is missing or holds an empty entry";
        }

        if (manifest.Modules is null || manifest.Modules.Any(m => m is null))
        {
            return "its module list is missing or holds an empty entry";
        }

        var regular = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            if (PathProblem(file.Path) is { } problem)
            {
                return $"file path '{file.Path}' {problem}";
            }

            if (file.LinkTarget is null && (file.Sha256 is null || !Sha256().IsMatch(file.Sha256)))
            {
                return $"file '{file.Path}' has no SHA-256 (64 lowercase hex digits)";
            }

            if (file.Size < 0 || Blank(file.Mode))
            {
                return $"file '{file.Path}' has no size or mode";
            }

            if (file.LinkTarget is null && !regular.Add(file.Path))
            {
                return $"file '{file.Path}' is listed twice";
            }
        }

        foreach (var module in manifest.Modules)
        {
            if (Blank(module.Name) || PathProblem(module.Path) is { } problem)
            {
                return $"module '{module.Name}' has path '{module.Path}', which is not a plain relative path inside the artifact";
            }

            if (!regular.Contains(module.Path))
            {
                return $"module '{module.Name}' is at '{module.Path}', which is not one of its files";
            }
        }

        if (manifest.Blob is { } blob && (blob.Key is null || blob.Sha256 is null || !Sha256().IsMatch(blob.Sha256) || blob.Size < 0 || Blank(blob.Compression)))
        {
            return "its blob record is incomplete (key, 64-hex sha256, size, compression)";
        }

        return null;
    }

    /// <summary>Null for a path like <c>lib/modules/nvidia.ko</c>; otherwise why not (absolute, empty, <c>.</c> or <c>..</c> parts).</summary>
    public static string? PathProblem(string? path) =>
        Blank(path) ? "is empty"
        : path!.StartsWith('/') ? "is absolute"
        : path.Split('/').Any(part => part is "" or "." or "..") ? "has an empty, '.' or '..' part"
        : path.Contains('\0', StringComparison.Ordinal) ? "holds a NUL byte"
        : null;

    private static bool Blank(string? value) => string.IsNullOrWhiteSpace(value);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();
}
