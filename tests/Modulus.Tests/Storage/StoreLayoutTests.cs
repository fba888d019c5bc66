using Modulus.Core.Artifacts;
using Modulus.Storage;

namespace Modulus.Tests.Storage;

public sealed class StoreLayoutTests
{
    private static readonly ArtifactKey Key = new("nvidia", "595.45.04", ModuleType.Open, "amd64", "1877.3", "6.12.47-cloud-amd64");

    [Fact]
    public void Names_every_key_of_an_artifact_below_its_prefix()
    {
        StoreLayout.ArtifactPrefix(Key).Should().Be("gardenlinux-1877.3/6.12.47-cloud-amd64/nvidia-595.45.04-open-amd64");
        StoreLayout.ManifestKey(Key).Should().Be("gardenlinux-1877.3/6.12.47-cloud-amd64/nvidia-595.45.04-open-amd64/manifest.json");
        StoreLayout.BlobKey(Key, "ab12", "zstd").Should().Be("gardenlinux-1877.3/6.12.47-cloud-amd64/nvidia-595.45.04-open-amd64/blobs/ab12.tar.zst");
        StoreLayout.BlobKey(Key, "ab12", "gzip").Should().EndWith("/blobs/ab12.tar.gz");
        StoreLayout.SignatureKey(StoreLayout.ManifestKey(Key), "cd34").Should().Be("gardenlinux-1877.3/6.12.47-cloud-amd64/nvidia-595.45.04-open-amd64/signatures/cd34.json");
    }

    [Fact]
    public void Parses_manifest_keys_back_into_their_parts_and_refuses_other_keys()
    {
        StoreLayout.ParseManifestKey(StoreLayout.ManifestKey(Key)).Should().Be(("1877.3", "6.12.47-cloud-amd64", "nvidia-595.45.04-open-amd64"));
        StoreLayout.ParseManifestKey("gardenlinux-1877.3/6.12.47-cloud-amd64/manifest.json").Should().BeNull();
        StoreLayout.ParseManifestKey("other-1877.3/k/a/manifest.json").Should().BeNull();
        StoreLayout.IsManifestKey(StoreLayout.BlobKey(Key, "ab12", "zstd")).Should().BeFalse();
    }

    [Fact]
    public void Tells_blobs_from_signatures_and_manifests()
    {
        StoreLayout.IsBlobKey(StoreLayout.BlobKey(Key, "ab12", "zstd")).Should().BeTrue();
        StoreLayout.IsBlobKey(StoreLayout.BlobKey(Key, "ab12", "gzip")).Should().BeTrue();
        StoreLayout.IsBlobKey(StoreLayout.SignatureKey(StoreLayout.ManifestKey(Key), "cd34")).Should().BeFalse();
        StoreLayout.IsBlobKey(StoreLayout.ManifestKey(Key)).Should().BeFalse();
    }
}
