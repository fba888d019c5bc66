using System.Text;
using System.Text.Json.Nodes;
using Modulus.Core.Artifacts;

namespace Modulus.Tests.Artifacts;

/// <summary>A manifest is validated as a whole before any use: what the red team's manifests held is refused with a reason, never a crash.</summary>
public sealed class ManifestRulesTests
{
    private static JsonNode Valid() => JsonNode.Parse(ManifestFile.Serialize(new Manifest
    {
        Driver = new DriverInfo("nvidia", "999.1.2", ModuleType.Open, DriverKind.NvidiaRunfile),
        GardenlinuxVersion = "1877.3",
        KernelRelease = "6.12.47-cloud-amd64",
        Arch = "amd64",
        Files = [new FileEntry("lib/modules/6.12.47-cloud-amd64/extra/nvidia.ko", new string('a', 64), 10, "0644", null)],
        Modules = [new ModuleEntry("nvidia", "lib/modules/6.12.47-cloud-amd64/extra/nvidia.ko", "6.12.47-cloud-amd64 SMP")],
        Build = new BuildInfo("0.1.0", "local", "gcc", DateTimeOffset.UnixEpoch, 1),
        CreatedAt = DateTimeOffset.UnixEpoch,
    }))!;

    private static Manifest Parse(JsonNode node) => ManifestFile.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()), "store/manifest.json");

    [Fact]
    public void The_valid_sample_is_read() => Parse(Valid()).Modules.Should().ContainSingle();

    [Theory]
    [InlineData("driver", "*it has no driver name and version*")]
    [InlineData("files", "*its file list is missing*")]
    [InlineData("modules", "*its module list is missing*")]
    [InlineData("build", "*it has no build record*")]
    [InlineData("kernelRelease", "*lacks one of gardenlinuxVersion, kernelRelease and arch*")]
    public void A_required_field_that_is_null_is_refused_with_its_name(string field, string message)
    {
        var node = Valid();
        node[field] = null;

        FluentActions.Invoking(() => Parse(node)).Should().Throw<InvalidDataException>().WithMessage("store/manifest.json is not a valid manifest: " + message);
    }

    [Theory]
    [InlineData("/lib/modules/nvidia.ko")]
    [InlineData("../../../../etc/evil.ko")]
    [InlineData("lib/modules/./nvidia.ko")]
    public void A_module_path_that_is_absolute_or_climbs_out_of_the_entry_is_refused(string path)
    {
        var node = Valid();
        node["modules"]![0]!["path"] = path;

        FluentActions.Invoking(() => Parse(node)).Should().Throw<InvalidDataException>()
            .WithMessage($"*module 'nvidia' has path '{path}', which is not a plain relative path inside the artifact*");
    }

    [Fact]
    public void A_module_that_is_not_one_of_the_artifacts_files_is_refused()
    {
        var node = Valid();
        node["modules"]![0]!["path"] = "lib/modules/6.12.47-cloud-amd64/extra/other.ko";

        FluentActions.Invoking(() => Parse(node)).Should().Throw<InvalidDataException>().WithMessage("*is not one of its files*");
    }

    [Fact]
    public void A_file_path_that_climbs_out_is_refused()
    {
        var node = Valid();
        node["files"]!.AsArray().Add(JsonNode.Parse($$"""{"path":"lib/../../x","sha256":"{{new string('b', 64)}}","size":1,"mode":"0644","linkTarget":null}"""));

        FluentActions.Invoking(() => Parse(node)).Should().Throw<InvalidDataException>().WithMessage("*file path 'lib/../../x' has an empty, '.' or '..' part*");
    }

    [Theory]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("""{"schemaVersion":1,"algorithm":"ECDSA-P256-SHA256"}""")]
    public void A_signature_that_is_null_a_number_or_lacks_fields_is_an_invalid_data_error(string json) =>
        FluentActions.Invoking(() => ManifestSignature.Parse(Encoding.UTF8.GetBytes(json), "sig.json"))
            .Should().Throw<InvalidDataException>().WithMessage("sig.json is not a signature*");
}
