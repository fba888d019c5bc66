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
    public async Task Installs_in_a_real_kernel_does_nothing_twice_refuses_a_held_driver_and_upgrades()
    {
        var modulus = Path.Combine(Repo.Root, ".cache", "vm", "modulus", "modulus");
        var kernel = Path.Combine(Repo.Root, ".tools", "vm", "vmlinuz-" + KernelUnderTest.Release);
        File.Exists(modulus).Should().BeTrue($"`make test` publishes the self-contained modulus to {modulus}");
        File.Exists(kernel).Should().BeTrue($"`make test` (.ci/install-prereqs.sh) unpacks the kernel to {kernel}");
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

        Directory.CreateDirectory(Path.Combine(root, "opt", "modulus"));
        File.Copy(modulus, Path.Combine(root, "opt", "modulus", "modulus"));
        File.Copy(Path.Combine(Repo.Root, "tests", "vm", "init.sh"), Path.Combine(root, "init"));
        File.SetUnixFileMode(Path.Combine(root, "init"), (UnixFileMode)0x1ED);
        var initramfs = dir.Combine("initramfs.cpio");
        var (built, build) = await ChildProcess.RunAsync("sh", [Path.Combine(Repo.Root, "tests", "vm", "build-initramfs.sh"), root, initramfs]);
        built.Should().Be(0, build.Output);

        var (exit, vm) = await ChildProcess.RunAsync("qemu-system-x86_64",
            ["-accel", "tcg", "-m", "1536", "-smp", "2", "-kernel", kernel, "-initrd", initramfs, "-append", "console=ttyS0 panic=-1 quiet",
             "-nographic", "-no-reboot", "-monitor", "none"], timeout: TimeSpan.FromMinutes(5));

        var serial = vm.Output;
        exit.Should().Be(0, serial);
        serial.Should().NotContain("Kernel panic");
        serial.Should().Contain("MODULUS-VM: booted " + KernelUnderTest.Release);
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
        serial.Should().Contain("MODULUS-VM: done");
    }

    private static string Marker(string serial, string name)
    {
        var prefix = $"MODULUS-VM: {name} ";
        var line = serial.Split('\n').FirstOrDefault(l => l.Contains(prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no '{prefix}' marker on the serial console:\n{serial}");
        return line[(line.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length)..].Trim();
    }
}
