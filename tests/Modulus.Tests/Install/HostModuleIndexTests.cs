using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

public sealed class HostModuleIndexTests : IDisposable
{
    private const string Kernel = "6.1.0-57-amd64";
    private readonly TempDirectory root = new();

    public void Dispose() => root.Dispose();

    private HostModuleIndex Index(string dep, string builtin = "")
    {
        var dir = root.Combine("lib", "modules", Kernel);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "modules.dep"), dep);
        File.WriteAllText(Path.Combine(dir, "modules.builtin"), builtin);
        return new HostModuleIndex(root.Path, Kernel);
    }

    [Fact]
    public void Orders_a_module_after_everything_it_needs_as_modules_dep_lists_it()
    {
        var index = Index("""
            kernel/drivers/gpu/drm/drm_kms_helper.ko: kernel/drivers/gpu/drm/drm.ko kernel/drivers/i2c/i2c-core.ko
            kernel/drivers/gpu/drm/drm.ko: kernel/drivers/i2c/i2c-core.ko
            kernel/drivers/i2c/i2c-core.ko:

            """);

        index.LoadOrder("drm_kms_helper")!.Select(m => m.Name).Should().Equal("i2c_core", "drm", "drm_kms_helper");
        index.LoadOrder("drm")![^1].Path.Should().Be(root.Combine("lib", "modules", Kernel, "kernel/drivers/gpu/drm/drm.ko"));
    }

    [Fact]
    public void Leaves_out_built_ins_and_knows_compressed_modules_by_their_names()
    {
        var index = Index("kernel/drivers/acpi/video.ko.xz: kernel/drivers/platform/x86/wmi.ko.xz\nkernel/drivers/platform/x86/wmi.ko.xz:\n", "kernel/drivers/gpu/drm/drm.ko\n");

        index.LoadOrder("video")!.Select(m => m.Name).Should().Equal("wmi", "video");
        index.IsBuiltIn("drm").Should().BeTrue();
        index.LoadOrder("drm").Should().BeEmpty("a built-in needs no loading");
        index.Contains("ib_core").Should().BeFalse();
        index.LoadOrder("ib_core").Should().BeNull();
    }

    [Fact]
    public void A_node_without_a_module_tree_knows_no_modules() =>
        new HostModuleIndex(root.Path, Kernel).LoadOrder("drm").Should().BeNull();
}
