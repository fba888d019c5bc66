using Modulus.Install;

namespace Modulus.Tests.Install;

public sealed class ModuleTypeRuleTests
{
    private static PciGpu Gpu(int deviceId) => new("0000:17:00.0", deviceId);

    [Theory]
    [InlineData(0x1DB6, "proprietary")] // Tesla V100 (Volta)
    [InlineData(0x15F8, "proprietary")] // Tesla P100 (Pascal)
    [InlineData(0x1EB8, "open")] // Tesla T4 (Turing)
    [InlineData(0x2330, "open")] // H100 SXM (Hopper)
    public void Auto_picks_proprietary_for_a_gpu_before_turing_and_the_version_rule_otherwise(int deviceId, string expected) =>
        ModuleTypeRule.Choose("auto", "nvidia-runfile", "580.159.04", [Gpu(deviceId)]).ModuleType.Should().Be(expected);

    [Fact]
    public void One_old_gpu_among_new_ones_makes_the_node_proprietary_and_the_reason_names_it()
    {
        var (type, reason) = ModuleTypeRule.Choose("auto", "nvidia-runfile", "580.159.04", [Gpu(0x2330), new PciGpu("0000:3b:00.0", 0x1DB6)]);

        type.Should().Be("proprietary");
        reason.Should().Contain("0000:3b:00.0 (10de:1db6) predates Turing");
    }

    [Fact]
    public void Without_gpus_or_below_560_the_version_decides_as_at_compile_time()
    {
        ModuleTypeRule.Choose("auto", "nvidia-runfile", "550.127.08", [Gpu(0x2330)]).ModuleType.Should().Be("proprietary");
        ModuleTypeRule.Choose("auto", "nvidia-runfile", "580.159.04", []).ModuleType.Should().Be("open");
    }

    [Fact]
    public void An_explicit_type_is_kept_whatever_the_gpus() =>
        ModuleTypeRule.Choose("open", "nvidia-runfile", "580.159.04", [Gpu(0x1DB6)]).Should().Be(("open", "as requested"));
}
