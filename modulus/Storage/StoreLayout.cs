using Modulus.Core.Artifacts;

namespace Modulus.Storage;

/// <summary>
/// The one owner of the store layout (docs/store.md). Keys are relative to the store's prefix:
/// <c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/manifest.json</c>, its blobs under <c>blobs/&lt;sha256&gt;.tar.zst</c>
/// (or <c>.tar.gz</c>), and its signatures under <c>signatures/&lt;sha256 of manifest.json&gt;.json</c>.
/// </summary>
internal static class StoreLayout
{
    private const string GardenlinuxPart = "gardenlinux-";
    private const string BlobsPart = "blobs";

    /// <summary>The blob formats and their file name endings (<c>Distribution/BlobCompression</c> reads and writes them).</summary>
    public static readonly IReadOnlyDictionary<string, string> BlobExtensions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["zstd"] = ".tar.zst",
        ["gzip"] = ".tar.gz",
    };

    /// <summary><c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c>: everything of one artifact lies below it.</summary>
    public static string ArtifactPrefix(ArtifactKey key) => $"{KernelPrefix(key.GardenlinuxVersion, key.KernelRelease)}{key.ArtifactName}";

    /// <summary><c>gardenlinux-&lt;gl&gt;/</c>: every artifact of one Garden Linux version.</summary>
    public static string GardenlinuxPrefix(string gardenlinuxVersion) => $"{GardenlinuxPart}{gardenlinuxVersion}/";

    /// <summary><c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/</c>: every artifact of one kernel.</summary>
    public static string KernelPrefix(string gardenlinuxVersion, string kernelRelease) => $"{GardenlinuxPrefix(gardenlinuxVersion)}{kernelRelease}/";

    public static string ManifestKey(ArtifactKey key) => $"{ArtifactPrefix(key)}/{Manifest.FileName}";

    public static string BlobKey(ArtifactKey key, string sha256, string compression) => $"{ArtifactPrefix(key)}/{BlobsPart}/{sha256}{BlobExtension(compression)}";

    /// <summary><c>&lt;artifact&gt;/signatures/&lt;sha256 of manifest.json&gt;.json</c>.</summary>
    public static string SignatureKey(string manifestKey, string manifestSha256) =>
        $"{manifestKey[..manifestKey.LastIndexOf('/')]}/signatures/{manifestSha256}.json";

    public static string BlobExtension(string compression) =>
        BlobExtensions.TryGetValue(compression, out var extension) ? extension : throw new ArgumentOutOfRangeException(nameof(compression), compression, "not a blob format");

    /// <summary>True for <c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/manifest.json</c>.</summary>
    public static bool IsManifestKey(string key) => ParseManifestKey(key) is not null;

    /// <summary>The parts of a manifest key: Garden Linux version, kernel, artifact name; null for any other key.</summary>
    public static (string GardenlinuxVersion, string KernelRelease, string ArtifactName)? ParseManifestKey(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 4 && parts[0].StartsWith(GardenlinuxPart, StringComparison.Ordinal) && parts[3] == Manifest.FileName
            ? (parts[0][GardenlinuxPart.Length..], parts[1], parts[2])
            : null;
    }

    /// <summary>True for <c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/blobs/&lt;name&gt;.tar.zst</c> (or <c>.tar.gz</c>).</summary>
    public static bool IsBlobKey(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 5 && parts[0].StartsWith(GardenlinuxPart, StringComparison.Ordinal) && parts[3] == BlobsPart
            && BlobExtensions.Values.Any(e => parts[4].EndsWith(e, StringComparison.Ordinal));
    }
}
