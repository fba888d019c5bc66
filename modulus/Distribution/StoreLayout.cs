using Modulus.Core.Artifacts;

namespace Modulus.Distribution;

/// <summary>Keys of the store layout (docs/store.md), relative to the store's prefix.</summary>
internal static class StoreLayout
{
    public static string ManifestKey(ArtifactKey key) => $"{key.StorePath}/{Manifest.FileName}";

    public static string BlobKey(ArtifactKey key, string sha256, string compression) => $"{key.StorePath}/blobs/{sha256}{BlobCompression.Extension(compression)}";

    /// <summary>True for <c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;/manifest.json</c>.</summary>
    public static bool IsManifestKey(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 4 && parts[0].StartsWith("gardenlinux-", StringComparison.Ordinal) && parts[3] == Manifest.FileName;
    }
}
