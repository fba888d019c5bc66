using System.Formats.Tar;
using System.Globalization;
using System.Text.Json;

namespace Modulus.Bench;

/// <summary>
/// Each platform's compressed size in the OCI archive `make image` writes (artifacts/modulus-image.oci.tar): the sum
/// of its layers, which is what a node pulls. The archive must be built from the checkout's sources (the images'
/// <c>io.modulus.sources</c> label, <c>.ci/images/modulus-image.sh --sources</c>); `make bench` rebuilds it otherwise.
/// </summary>
internal static class ImageSizes
{
    public const double GoalMiB = 40e6 / 1048576; // issue 23: ≤ 40 MB per platform

    public static IReadOnlyList<string> Rows(string archive, string sources)
    {
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using (var tar = new TarReader(File.OpenRead(archive)))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                // index.json and the small JSON blobs (indexes, manifests, configs); layers are only counted by the manifests.
                if (entry.DataStream is { Length: < 1 << 20 } data && (entry.Name is "index.json" || entry.Name.StartsWith("blobs/", StringComparison.Ordinal)))
                {
                    using var copy = new MemoryStream();
                    data.CopyTo(copy);
                    blobs[entry.Name] = copy.ToArray();
                }
            }
        }

        var index = JsonDocument.Parse(blobs["index.json"]).RootElement;
        while (index.GetProperty("manifests")[0].GetProperty("mediaType").GetString() == "application/vnd.oci.image.index.v1+json")
        {
            index = Blob(index.GetProperty("manifests")[0]);
        }

        var rows = new List<string>();
        foreach (var entry in index.GetProperty("manifests").EnumerateArray())
        {
            var platform = entry.GetProperty("platform");
            var manifest = Blob(entry);
            var config = Blob(manifest.GetProperty("config"));
            var label = config.GetProperty("config").TryGetProperty("Labels", out var labels) && labels.TryGetProperty("io.modulus.sources", out var s) ? s.GetString() : null;
            if (label != sources)
            {
                throw new InvalidOperationException($"bench: {archive} holds an image built from other sources ({label ?? "unlabelled"}, the checkout is {sources}); run make image");
            }

            var bytes = manifest.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("size").GetInt64());
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| image linux/{platform.GetProperty("architecture").GetString()}, compressed (what a node pulls) | {bytes / 1048576.0:F1} MiB | ≤ 40 MB ({GoalMiB:F1} MiB) | **{bytes / 1048576.0 / GoalMiB:F2}** |"));
        }

        return rows;

        JsonElement Blob(JsonElement descriptor) =>
            JsonDocument.Parse(blobs["blobs/" + descriptor.GetProperty("digest").GetString()!.Replace(':', '/')]).RootElement;
    }
}
