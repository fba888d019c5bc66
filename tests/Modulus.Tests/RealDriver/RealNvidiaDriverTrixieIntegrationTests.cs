using Modulus.Tests.Fixtures;

namespace Modulus.Tests.RealDriver;

/// <summary>
/// NVIDIA's real open modules 595.45.04 on Garden Linux 1877's kernel line: compiled against Debian trixie's 6.12
/// headers with gcc-14 (<see cref="RealNvidiaTrixieArtifact"/>), installed into trixie's 6.12 under QEMU, which has
/// no NVIDIA GPU and decompresses its .ko.xz in-tree modules itself.
/// </summary>
[Collection(RealDriverCollection.Name)]
public sealed class RealNvidiaDriverTrixieIntegrationTests(RealNvidiaTrixieArtifact artifact) : IClassFixture<RealNvidiaTrixieArtifact>, IDisposable
{
    private readonly TempDirectory dir = new("modulus-real-vm-612-");

    public void Dispose() => dir.Dispose();

    [RealNvidiaFact(Timeout = TestTimeouts.Vm)]
    public async Task Built_with_gcc_14_for_6_12_it_loads_drm_from_ko_xz_then_stops_at_enodev_explained_and_leaves_nothing_loaded()
    {
        var manifest = artifact.Built();
        var kernel = VmKernel.Trixie;
        manifest.Build.Compiler.Should().MatchRegex(@"^(\S+-)?gcc(-\d+)? .* 14\.\d+\.\d+$", "built with gcc 14, as Garden Linux 1877 builds");
        manifest.Modules.Should().OnlyContain(m => m.Vermagic.StartsWith(kernel.Release + " SMP"));
        manifest.Modules.Single(m => m.Name == "nvidia_drm").Depends.Should().Contain("drm");
        var root = dir.Combine("root");
        Modulus.DevBuilder.Recipes.RecipeSteps.CopyTree(artifact.Store, Path.Combine(root, "store"));
        QemuVm.AddModulusAndInit(root, "init-no-gpu.sh", kernel);
        QemuVm.AddInTreeModules(root, ["drm", "drm_kms_helper", "video"], kernel).Should().Contain("kernel/drivers/gpu/drm/drm.ko.xz");

        var serial = await QemuVm.BootAsync(root, dir.Path, memoryMiB: 2048, kernel: kernel);

        serial.Should().Contain("MODULUS-VM: install exit=1", "an install without a GPU fails");
        serial.Should().MatchRegex(@"load the in-tree module drm from \S+/drm\.ko\.xz \(needed by nvidia\)");
        serial.Should().Contain("drm.ko.xz is xz-compressed; the kernel decompressed it itself");
        serial.IndexOf("load the in-tree module drm ", StringComparison.Ordinal).Should()
            .BeLessThan(serial.IndexOf("load nvidia from", StringComparison.Ordinal), "in-tree dependencies load before the module that needs them");
        serial.Should().Contain("no NVIDIA GPU was found: the kernel refused nvidia.ko with ENODEV (errno 19). The kernel says: NVRM: ");
        serial.Should().MatchRegex(@"The kernel says: .*NVRM: No NVIDIA GPU found\.");
        serial.Should().Contain("Rolled back: unloaded drm");
        QemuVm.Marker(serial, "modules").Trim('[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Should().NotContain(m => m.StartsWith("nvidia", StringComparison.Ordinal) || m == "drm", "nothing this install loaded is left loaded");
        QemuVm.Marker(serial, "firmware-after").Should().Be(QemuVm.Marker(serial, "firmware-before"));
    }
}
