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
        var serial = await QemuVm.BootAsync(root, dir.Path);

        serial.Should().Contain("MODULUS-VM: install-1 exit=0", serial);
        var loaded = Marker(serial, "modules").Split(' ', StringSplitOptions.RemoveEmptyEntries).Reverse(); // /proc/modules lists the newest first
        loaded.Should().Equal(first!.Modules.Select(m => m.Name), "modules load in the manifest's order");
        Marker(serial, "nodes").Split(' ', StringSplitOptions.RemoveEmptyEntries).Should().Contain(["nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"]);
        serial.Should().Contain("MODULUS-VM: version 999.1.2");
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
        serial.Should().Contain("Rolled back: unloaded nvidia_modeset").And.Contain("Rolled back: unloaded nvidia,");
        Marker(serial, "modules-after-failure").Should().Be("[]", "the two modules loaded before the failing third are unloaded again");
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
        Marker(serial, "modules").Should().Be("[]", "nothing of either driver is loaded");
    }

    private static string Marker(string serial, string name) => QemuVm.Marker(serial, name);
}
