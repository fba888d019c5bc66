using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// The install on Garden Linux's kernel line beyond Debian 12's 6.1: Debian trixie's 6.12 (Garden Linux 1877's kernel
/// line; like 2150 it decompresses its .ko.xz modules itself) and trixie's arm64 kernel under qemu-system-aarch64.
/// The stand-in is built against each kernel's own headers with gcc-14 (<see cref="TrixieBuild"/>), its nvidia-drm
/// needs the in-tree drm, and the VM's root carries Garden Linux's os-release, which install reads the version from.
/// </summary>
public sealed class GardenLinuxKernelsVmIntegrationTests : IDisposable
{
    private const string Version = "999.1.2";
    private const string Gardenlinux = "1877.3";
    private readonly TempDirectory dir = new("modulus-vm-kernels-");

    public void Dispose() => dir.Dispose();

    /// <summary>The stand-in compiled for <paramref name="kernel"/> in the trixie build root and published to ROOT/store.</summary>
    private async Task<Manifest> CompileStandInAsync(VmKernel kernel, string root)
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync(Version, dir.Combine("runs"), kernel.Machine);
        var cache = dir.Combine("cache");
        var store = Path.Combine(root, "store");
        var (code, run) = await TrixieBuild.CompileAsync([dir.Combine("runs"), cache, store],
            ["--driver-source", "file://" + runfile, "--driver-version", Version, "--gardenlinux-version", Gardenlinux, "--module-type", "open",
             "--arch", kernel.Arch, "--kernel-version", kernel.Release, "--cache-dir", cache, "--store", "file://" + store]);
        code.Should().Be(0, run.Output);
        var manifest = await ManifestFile.ReadAsync(Path.Combine(cache, Gardenlinux, kernel.Release, $"nvidia-{Version}-open-{kernel.Arch}"), CancellationToken.None);
        manifest.Build.Compiler.Should().MatchRegex(@"^(\S+-)?gcc(-\d+)? .* 14\.\d+\.\d+$", "trixie builds with gcc 14, as Garden Linux 1877 does");
        manifest.Modules.Should().OnlyContain(m => m.Vermagic.StartsWith(kernel.Release + " SMP"));
        manifest.Modules.Single(m => m.Name == "nvidia_drm").Depends.Should().Contain("drm");
        return manifest;
    }

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task In_trixies_6_12_the_kernel_decompresses_the_in_tree_drm_itself_and_the_stand_in_goes_live_with_the_version_from_os_release()
    {
        var kernel = VmKernel.Trixie;
        var root = dir.Combine("root");
        var manifest = await CompileStandInAsync(kernel, root);
        QemuVm.AddModulusAndInit(root, "init-node.sh", kernel);
        QemuVm.AddInTreeModules(root, ["drm"], kernel).Should().Contain("kernel/drivers/gpu/drm/drm.ko.xz");

        var serial = await QemuVm.BootAsync(root, dir.Path, kernel: kernel);

        QemuVm.Marker(serial, "os-release").Should().EndWith("0 VERSION_ID, kernel decompresses [xz]");
        serial.Should().Contain("MODULUS-VM: install exit=0");
        serial.Should().Contain($"load the in-tree module drm from /lib/modules/{kernel.Release}/kernel/drivers/gpu/drm/drm.ko.xz (needed by nvidia_drm)");
        serial.Should().Contain($"/lib/modules/{kernel.Release}/kernel/drivers/gpu/drm/drm.ko.xz is xz-compressed; the kernel decompressed it itself");
        serial.Should().NotContain("modulus decompressed it");
        var loaded = QemuVm.Marker(serial, "modules").Trim('[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        loaded.Should().Contain("drm").And.Contain(manifest.Modules.Select(m => m.Name));
        QemuVm.Marker(serial, "version").Should().Be(Version);
        serial.Should().Contain($"Garden Linux:        {Gardenlinux}");
        serial.Should().Contain($"ready:               yes (nvidia {Version} is live)").And.Contain("MODULUS-VM: status exit=0");
    }

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task In_debians_arm64_kernel_the_arm64_modulus_installs_the_cross_compiled_stand_in_with_its_in_tree_drm()
    {
        var kernel = VmKernel.Arm64;
        var root = dir.Combine("root");
        var manifest = await CompileStandInAsync(kernel, root);
        manifest.Key.Arch.Should().Be("arm64");
        QemuVm.AddModulusAndInit(root, "init-node.sh", kernel);
        QemuVm.AddInTreeModules(root, ["drm"], kernel).Should().Contain("kernel/drivers/gpu/drm/drm.ko.xz");

        var serial = await QemuVm.BootAsync(root, dir.Path, kernel: kernel);

        serial.Should().Contain($"MODULUS-VM: booted {kernel.Release}");
        serial.Should().Contain("MODULUS-VM: install exit=0");
        serial.Should().Contain($"/lib/modules/{kernel.Release}/kernel/drivers/gpu/drm/drm.ko.xz is xz-compressed; the kernel decompressed it itself");
        QemuVm.Marker(serial, "modules").Trim('[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Should().Contain("drm").And.Contain(manifest.Modules.Select(m => m.Name));
        QemuVm.Marker(serial, "version").Should().Be(Version);
        serial.Should().Contain($"ready:               yes (nvidia {Version} is live)").And.Contain("MODULUS-VM: status exit=0");
    }
}
