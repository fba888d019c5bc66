using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// The proof in a real kernel: Debian's kernel of the installed headers boots under QEMU (TCG) with an initramfs of
/// busybox, the self-contained modulus and a file:// store holding two versions of the stand-in NVIDIA artifact,
/// and tests/vm/init.sh runs the install scenario. Success is read from markers on the serial console.
/// </summary>
public sealed class InstallVmIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new("modulus-vm-");

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task Installs_in_a_real_kernel_does_nothing_twice_refuses_a_held_driver_upgrades_keeps_the_driver_when_the_new_one_is_missing_and_rolls_back_a_failed_load()
    {
        var root = dir.Combine("root");
        Manifest? first = null;
        foreach (var version in new[] { "999.1.2", "999.2.0" })
        {
            var runfile = await FakeNvidiaRunfile.CreateAsync(version, dir.Combine("runs"));
            var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", version,
                "--gardenlinux-version", "1877.3", "--module-type", "open", "--cache-dir", dir.Combine("cache"), "--store", "file://" + Path.Combine(root, "store")]);
            code.Should().Be(0, run.Output);
            first ??= await ManifestFile.ReadAsync(Path.Combine(dir.Combine("cache"), "1877.3", KernelUnderTest.Release, $"nvidia-{version}-open-amd64"), CancellationToken.None);
        }

        QemuVm.AddModulusAndInit(root, "init.sh");
        QemuVm.AddInTreeModules(root, ["drm"]).Should().Equal(["kernel/drivers/gpu/drm/drm.ko.xz"], "Garden Linux's in-tree modules are .ko.xz");
        var serial = await QemuVm.BootAsync(root, dir.Path);

        Marker(serial, "os-release").Should().EndWith("0 VERSION_ID, kernel decompresses []", "Garden Linux's os-release, in a kernel that cannot decompress modules");
        first!.Modules.Single(m => m.Name == "nvidia_drm").Depends.Should().Contain("drm", "the stand-in's nvidia-drm needs the in-tree drm, as NVIDIA's does");
        serial.Should().Contain("MODULUS-VM: install-1 exit=0", serial);
        serial.Should().Contain($"load the in-tree module drm from /lib/modules/{KernelUnderTest.Release}/kernel/drivers/gpu/drm/drm.ko.xz (needed by nvidia_drm)");
        serial.Should().MatchRegex(@"drm\.ko\.xz is xz-compressed and this kernel cannot decompress it \(there is no /sys/module/compression: CONFIG_MODULE_DECOMPRESS is off\): modulus decompressed it \(\d+ bytes\) and loaded the image with init_module");
        var loaded = Marker(serial, "modules").Split(' ', StringSplitOptions.RemoveEmptyEntries).Reverse(); // /proc/modules lists the newest first
        var order = first.Modules.Select(m => m.Name).ToList();
        order.Insert(order.IndexOf("nvidia_drm"), "drm");
        loaded.Should().Equal(order, "modules load in the manifest's order, each after the in-tree modules it needs");
        Marker(serial, "nodes").Split(' ', StringSplitOptions.RemoveEmptyEntries).Should().Contain(["nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"]);
        serial.Should().Contain("MODULUS-VM: version 999.1.2");
        serial.Should().Contain("MODULUS-VM: uvm_disable_hmm Y", "nvidia-uvm is loaded with uvm_disable_hmm=1 by default, as Garden Linux's installer does");
        serial.Should().Contain("already installed: nvidia 999.1.2 is live").And.Contain("MODULUS-VM: install-2 exit=0");
        serial.Should().MatchRegex(@"cannot replace driver 999\.1\.2 with 999\.2\.0: it is in use: nvidia \(refcount \d+, \d+ user\(s\) beyond its dependents");
        serial.Should().Contain("MODULUS-VM: upgrade-held exit=4");
        serial.Should().Contain("MODULUS-VM: upgrade exit=0").And.Contain("MODULUS-VM: version 999.2.0");
        serial.Should().Contain("ready:               yes (nvidia 999.2.0 is live)").And.Contain("MODULUS-VM: status exit=0");

        serial.Should().Contain("MODULUS-VM: not-in-store exit=3", "the store has no 999.3.0");
        Marker(serial, "version-after-missing").Should().Be("999.2.0", "the running driver is untouched when the new one cannot be had");
        serial.Should().Contain("MODULUS-VM: status-after-missing exit=0");

        serial.Should().Contain("no NVIDIA GPU on this node (no PCI display/3D function of vendor 10de): nothing was loaded").And.Contain("MODULUS-VM: no-gpu exit=0");
        Marker(serial, "version-after-no-gpu").Should().Be("999.2.0");

        serial.Should().Contain("MODULUS-VM: rmmod exit=0");
        serial.Should().Contain("MODULUS-VM: third-fails exit=1").And.Contain("nvidia-fixture: nvidia-drm refuses to load (fail_init=1)");
        serial.Should().Contain("Rolled back: unloaded drm").And.Contain("Rolled back: unloaded nvidia_modeset").And.Contain("Rolled back: unloaded nvidia,");
        Marker(serial, "modules-after-failure").Should().Be("[]", "the modules loaded before the failing one, the in-tree drm among them, are unloaded again");
    }

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task With_module_sig_enforce_an_unsigned_and_an_untrusted_module_are_refused_and_modulus_says_which()
    {
        var root = dir.Combine("root");
        var (key, cert) = await ModuleSigningKey.CreateAsync(dir.Combine("keys"));
        foreach (var (version, sign) in new[] { ("999.1.2", false), ("999.2.0", true) })
        {
            var runfile = await FakeNvidiaRunfile.CreateAsync(version, dir.Combine("runs"));
            string[] signing = sign ? ["--module-signing-key", key, "--module-signing-cert", cert] : [];
            var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", version,
                "--gardenlinux-version", "1877.3", "--module-type", "open", "--cache-dir", dir.Combine("cache"), "--store", "file://" + Path.Combine(root, "store"), .. signing]);
            code.Should().Be(0, run.Output);
        }

        QemuVm.AddModulusAndInit(root, "init-sig-enforce.sh");
        var serial = await QemuVm.BootAsync(root, dir.Path, kernelArguments: "module.sig_enforce=1");

        Marker(serial, "sig_enforce").Should().Be("Y");
        serial.Should().Contain("MODULUS-VM: unsigned exit=1").And.Contain("MODULUS-VM: untrusted exit=1");
        serial.Should().Contain("it loads only modules signed by a key it trusts (module.sig_enforce=1, or Secure Boot lockdown), and it is not signed");
        serial.Should().Contain($"and it is signed by CN={ModuleSigningKey.CommonName}, sha256 ").And.Contain("which this kernel does not trust");
        serial.Should().Contain("Loading of unsigned module is rejected", "the kernel's own words are quoted");
        serial.Should().Contain("On Garden Linux (systemd-boot, no shim) keys in the firmware's db do not count for modules", "there is no MOK to enroll there");
        Marker(serial, "modules").Should().Be("[]", "nothing of either driver is loaded");
    }

    private static string Marker(string serial, string name) => QemuVm.Marker(serial, name);
}
