using Modulus.Core.Errors;
using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

public sealed class ModuleParametersTests
{
    [Fact]
    public void Groups_items_by_module_and_normalises_dashes() =>
        ModuleParameters.Parse("nvidia.NVreg_A=1 nvidia-uvm.uvm_b=0,nvidia.NVreg_C=x").Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["nvidia"] = "NVreg_A=1 NVreg_C=x", ["nvidia_uvm"] = "uvm_b=0",
        });

    [Theory]
    [InlineData("NVreg_A=1")]
    [InlineData("nvidia.=1")]
    [InlineData("nvidia.a=\"$(reboot)\"")]
    public void Refuses_items_that_are_not_module_parameter_value(string item) =>
        FluentActions.Invoking(() => ModuleParameters.Parse(item)).Should().Throw<InvalidInputException>().WithMessage($"--module-parameters item '{item}' is not valid*");

    [Fact]
    public void Reads_the_gardenlinux_version_from_os_release()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("etc"));
        File.WriteAllText(root.Combine("etc", "os-release"), "ID=gardenlinux\nVERSION_ID=\"1592.3\"\nGARDENLINUX_VERSION=1592.4\n");

        HostFacts.GardenlinuxVersion(root.Path).Should().Be("1592.4", "GARDENLINUX_VERSION wins over VERSION_ID");
        HostFacts.GardenlinuxVersion(root.Combine("nowhere")).Should().BeNull();
    }

    [Fact]
    public void A_default_is_added_unless_the_module_sets_that_parameter_already()
    {
        ModuleParameters.WithDefault(ModuleParameters.Parse("nvidia.NVreg_EnableGpuFirmware=0"), "nvidia_uvm", "uvm_disable_hmm", "1")
            .Should().BeEquivalentTo(new Dictionary<string, string> { ["nvidia"] = "NVreg_EnableGpuFirmware=0", ["nvidia_uvm"] = "uvm_disable_hmm=1" });
        ModuleParameters.WithDefault(ModuleParameters.Parse("nvidia-uvm.uvm_perf_prefetch_enable=0"), "nvidia_uvm", "uvm_disable_hmm", "1")
            .Should().BeEquivalentTo(new Dictionary<string, string> { ["nvidia_uvm"] = "uvm_perf_prefetch_enable=0 uvm_disable_hmm=1" });
        ModuleParameters.WithDefault(ModuleParameters.Parse("nvidia_uvm.uvm_disable_hmm=0"), "nvidia_uvm", "uvm_disable_hmm", "1")
            .Should().BeEquivalentTo(new Dictionary<string, string> { ["nvidia_uvm"] = "uvm_disable_hmm=0" }, "the operator's value wins");
    }
}
