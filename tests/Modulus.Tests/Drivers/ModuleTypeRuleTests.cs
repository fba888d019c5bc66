using Modulus.Core.Artifacts;
using Modulus.Drivers;

namespace Modulus.Tests.Drivers;

public sealed class ModuleTypeRuleTests
{
    private static PciGpu Gpu(int deviceId) => new("0000:17:00.0", deviceId);

    [Theory]
    [InlineData("auto", "nvidia-runfile", "550.127.08", "proprietary")]
    [InlineData("auto", "nvidia-runfile", "559.9", "proprietary")]
    [InlineData("auto", "nvidia-runfile", "560.28.03", "open")]
    [InlineData("auto", "nvidia-runfile", "999.1.2", "open")]
    [InlineData("open", "nvidia-runfile", "450.80.02", "open")]
    [InlineData("proprietary", "nvidia-runfile", "570.1", "proprietary")]
    [InlineData("auto", "kbuild", "1.0", "open")]
    public void Resolves_auto_to_proprietary_below_560_and_open_from_560(string requested, string kind, string version, string expected) =>
        ModuleTypeRule.Resolve(ModuleTypes.ParseChoice(requested), DriverKinds.Parse(kind), version).Name().Should().Be(expected);

    [Theory]
    [InlineData(0x1DB6, "proprietary")] // Tesla V100 (Volta)
    [InlineData(0x15F8, "proprietary")] // Tesla P100 (Pascal)
    [InlineData(0x1EB8, "open")] // Tesla T4 (Turing)
    [InlineData(0x2330, "open")] // H100 SXM (Hopper)
    public void Auto_picks_proprietary_for_a_gpu_before_turing_and_the_version_rule_otherwise(int deviceId, string expected) =>
        ModuleTypeRule.Choose(null, DriverKind.NvidiaRunfile, "580.159.04", "1877.6", [Gpu(deviceId)]).ModuleType.Name().Should().Be(expected);

    [Fact]
    public void One_old_gpu_among_new_ones_makes_the_node_proprietary_and_the_reason_names_it()
    {
        var (type, reason) = ModuleTypeRule.Choose(null, DriverKind.NvidiaRunfile, "580.159.04", "1877.6", [Gpu(0x2330), new PciGpu("0000:3b:00.0", 0x1DB6)]);

        type.Should().Be(ModuleType.Proprietary);
        reason.Should().Contain("0000:3b:00.0 (10de:1db6) predates Turing");
    }

    [Fact]
    public void Without_gpus_or_below_560_the_version_decides_as_at_compile_time()
    {
        ModuleTypeRule.Choose(null, DriverKind.NvidiaRunfile, "550.127.08", "1877.6", [Gpu(0x2330)]).ModuleType.Should().Be(ModuleType.Proprietary);
        ModuleTypeRule.Choose(null, DriverKind.NvidiaRunfile, "580.159.04", "1877.6", []).ModuleType.Should().Be(ModuleType.Open);
    }

    [Fact]
    public void An_explicit_type_is_kept_whatever_the_gpus() =>
        ModuleTypeRule.Choose(ModuleType.Open, DriverKind.NvidiaRunfile, "580.159.04", "1592.14", [Gpu(0x1DB6)]).Should().Be((ModuleType.Open, "as requested"));

    [Theory]
    [InlineData("1443.3", "proprietary")]
    [InlineData("1592.14", "proprietary")]
    [InlineData("1592.15", "open")]
    [InlineData("1592.16", "open")]
    [InlineData("1700.1", "proprietary")] // between the lines listed: no fix
    [InlineData("1877.5", "proprietary")]
    [InlineData("1877.6", "open")]
    [InlineData("1877.10", "open")]
    [InlineData("2150.8.0", "open")]
    [InlineData("today", "open")] // a development build: newer than every release
    public void Auto_follows_garden_linuxs_signed_firmware_rule_for_the_open_modules(string gardenlinuxVersion, string expected)
    {
        ModuleTypeRule.Resolve(null, DriverKind.NvidiaRunfile, "580.159.04", gardenlinuxVersion).Name().Should().Be(expected, "the compiler instance decides so");
        var (type, reason) = ModuleTypeRule.Choose(null, DriverKind.NvidiaRunfile, "580.159.04", gardenlinuxVersion, [Gpu(0x2330)]);
        type.Name().Should().Be(expected, "and the installer on the node the same");
        if (expected == "proprietary")
        {
            reason.Should().Contain($"Garden Linux {gardenlinuxVersion}'s kernel requires signed firmware");
        }
    }

    [Fact]
    public void Below_560_the_driver_decides_whatever_garden_linux_allows() =>
        ModuleTypeRule.Resolve(null, DriverKind.NvidiaRunfile, "550.127.08", "2150.8.0").Should().Be(ModuleType.Proprietary);
}
