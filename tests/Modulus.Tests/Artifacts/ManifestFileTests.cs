using System.Text.Json.Nodes;
using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Artifacts;

/// <summary>What a reader accepts of manifest.json: the schema versions it knows, and only links that stay inside the artifact.</summary>
public sealed class ManifestFileTests
{
    private static Manifest Sample(int schemaVersion, params FileEntry[] files) => new()
    {
        SchemaVersion = schemaVersion,
        Driver = new DriverInfo("nvidia", "999.1.2", ModuleType.Open, DriverKind.NvidiaRunfile),
        GardenlinuxVersion = "1877.3",
        KernelRelease = "6.12.47-cloud-amd64",
        Arch = "amd64",
        Files = files,
        Modules = [],
        Build = new BuildInfo("0.1.0", "local", "gcc", DateTimeOffset.UnixEpoch, 1),
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    private static FileEntry Link(string path, string target) => new(path, null, 0, "0777", target);

    private static FileEntry Regular(string path) => new(path, new string('0', 64), 1, "0644", null);

    [Fact]
    public void Reads_a_schema_1_manifest_of_an_existing_store_and_keeps_its_version_and_layout()
    {
        var manifest = ManifestFile.Parse(ManifestFile.Serialize(Sample(1, Regular("lib/libcuda.so.999.1.2"), Link("lib/libcuda.so.1", "libcuda.so.999.1.2"))), "old.json");

        manifest.SchemaVersion.Should().Be(1);
        ArtifactLayout.Of(manifest).Should().Be(new ArtifactLayout("bin", "lib", "firmware"));
        ((int)JsonNode.Parse(ManifestFile.Serialize(manifest))!["schemaVersion"]!).Should().Be(1, "republishing an old entry does not relabel its layout");
    }

    [Theory]
    [InlineData("amd64", "usr/lib/x86_64-linux-gnu")]
    [InlineData("arm64", "usr/lib/aarch64-linux-gnu")]
    public void Schema_2_keeps_libraries_below_usr_lib_triplet_and_firmware_below_lib_firmware(string arch, string libraries)
    {
        var manifest = ManifestFile.Parse(ManifestFile.Serialize(Sample(2) with { Arch = arch }), "new.json");

        ArtifactLayout.Of(manifest).Should().Be(new ArtifactLayout("bin", libraries, "lib/firmware"));
        ArtifactLayout.Current(arch).Should().Be(ArtifactLayout.Of(manifest));
    }

    [Theory]
    [InlineData(0, "*schema version 0; this modulus reads versions 1 to 2")]
    [InlineData(3, "*schema version 3; this modulus reads versions 1 to 2: it was written by a newer modulus*")]
    public void Refuses_a_schema_version_it_does_not_know(int version, string message) =>
        FluentActions.Invoking(() => ManifestFile.Parse(ManifestFile.Serialize(Sample(version)), "x.json"))
            .Should().Throw<InvalidDataException>().WithMessage(message);

    [Theory]
    [InlineData("usr/lib/x86_64-linux-gnu/libcuda.so.1", "/opt/modulus/cache/libcuda.so.999.1.2", "*'usr/lib/x86_64-linux-gnu/libcuda.so.1' is a symlink to '/opt/modulus/cache/libcuda.so.999.1.2', an absolute target*")]
    [InlineData("bin/nvidia-smi", "../../nvidia-smi", "*'bin/nvidia-smi' is a symlink to '../../nvidia-smi', which does not resolve inside the artifact*")]
    [InlineData("lib64", "../lib", "*'lib64' is a symlink to '../lib', which does not resolve inside the artifact*")]
    public void Refuses_a_manifest_with_a_link_that_is_absolute_or_leaves_the_artifact(string path, string target, string message) =>
        FluentActions.Invoking(() => ManifestFile.Parse(ManifestFile.Serialize(Sample(2, Link(path, target))), "bad.json"))
            .Should().Throw<InvalidDataException>().WithMessage("bad.json is refused: " + message.TrimStart('*'));

    [Fact]
    public void Follows_links_through_other_links_of_the_artifact_as_the_kernel_would()
    {
        // 'a/up' leads to the artifact's root, so 'a/escape' → 'up/../x' leaves it although it starts inside.
        FluentActions.Invoking(() => ManifestFile.Parse(ManifestFile.Serialize(Sample(2, Link("a/up", ".."), Link("a/escape", "up/../x"))), "chain.json"))
            .Should().Throw<InvalidDataException>().WithMessage("*'a/escape' is a symlink to 'up/../x', which does not resolve inside the artifact*");

        var fine = Sample(2, Regular("usr/lib/x86_64-linux-gnu/libcuda.so.999.1.2"), Link("usr/lib/x86_64-linux-gnu/libcuda.so.1", "libcuda.so.999.1.2"),
            Link("lib64", "usr/lib/x86_64-linux-gnu"), Link("usr/lib/x86_64-linux-gnu/libcuda.so", "../../../lib64/libcuda.so.1"));
        ManifestFile.Parse(ManifestFile.Serialize(fine), "fine.json").Files.Should().HaveCount(4);
    }
}
