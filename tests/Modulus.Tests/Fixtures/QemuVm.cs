namespace Modulus.Tests.Fixtures;

/// <summary>
/// A node kernel (<see cref="VmKernel"/>: Debian 12's 6.1 by default, trixie's 6.12, trixie's arm64) under QEMU (TCG) with
/// a busybox initramfs built from a root directory: the self-contained modulus (`make vm-modulus`), a /init scenario
/// from tests/vm, Garden Linux's os-release (tests/vm/vm-setup.sh), and the in-tree modules a scenario needs from the
/// kernel's own package, as .ko.xz with depmod's index. A kernel panic also exits 0, so results are read from
/// MODULUS-VM markers on the serial console.
/// </summary>
public static class QemuVm
{
    /// <summary>Puts modulus at /opt/modulus/modulus and tests/vm/<paramref name="script"/> at /init.</summary>
    public static void AddModulusAndInit(string root, string script, VmKernel? kernel = null)
    {
        kernel ??= VmKernel.Debian12;
        File.Exists(kernel.ModulusBinary).Should().BeTrue($"`make test` publishes the self-contained modulus to {kernel.ModulusBinary}");
        File.Exists(kernel.Image).Should().BeTrue($"`make test` (.ci/install-vm-kernels.sh) unpacks the kernel to {kernel.Image}");
        Directory.CreateDirectory(Path.Combine(root, "opt", "modulus"));
        File.Copy(kernel.ModulusBinary, Path.Combine(root, "opt", "modulus", "modulus"));
        File.Copy(Path.Combine(Repo.Root, "tests", "vm", script), Path.Combine(root, "init"));
        File.SetUnixFileMode(Path.Combine(root, "init"), (UnixFileMode)0x1ED);
    }

    /// <summary>
    /// Gives the VM the kernel's module index (modules.dep, modules.builtin) and the files of <paramref name="names"/>
    /// and everything they depend on, as modules.dep lists them (.ko.xz); the rest of the tree stays out of the initramfs.
    /// </summary>
    public static IReadOnlyList<string> AddInTreeModules(string root, IEnumerable<string> names, VmKernel? kernel = null)
    {
        kernel ??= VmKernel.Debian12;
        var tree = kernel.ModuleTree;
        File.Exists(Path.Combine(tree, "modules.dep")).Should().BeTrue($"`make test` (.ci/install-vm-kernels.sh) keeps the kernel's modules with depmod's index in {tree}");
        var target = Path.Combine(root, "lib", "modules", kernel.Release);
        Directory.CreateDirectory(target);
        foreach (var index in new[] { "modules.dep", "modules.builtin", "modules.builtin.modinfo", "modules.order" })
        {
            File.Copy(Path.Combine(tree, index), Path.Combine(target, index));
        }

        var lines = File.ReadAllLines(Path.Combine(tree, "modules.dep")).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToList();
        var dep = lines.ToDictionary(p => Modulus.Install.HostModuleIndex.NameOf(p[0]), p => p[0]);
        var depends = lines.ToDictionary(p => p[0], p => p[1]);
        var files = names.SelectMany(n => new[] { dep[n] }.Concat(depends[dep[n]].Split(' ', StringSplitOptions.RemoveEmptyEntries))).Distinct().ToList();
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, file))!);
            File.Copy(Path.Combine(tree, file), Path.Combine(target, file));
        }

        return files;
    }

    /// <summary>Builds the initramfs from <paramref name="root"/>, boots it (tests/vm/boot.sh), and returns the serial console.</summary>
    public static async Task<string> BootAsync(string root, string workDir, int memoryMiB = 1536, string kernelArguments = "", VmKernel? kernel = null)
    {
        kernel ??= VmKernel.Debian12;
        var (exit, vm) = await ChildProcess.RunAsync("sh",
            [Path.Combine(Repo.Root, "tests", "vm", "boot.sh"), root, workDir, memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture), kernelArguments],
            new Dictionary<string, string?> { ["VM_KERNEL"] = kernel.Name }, timeout: TimeSpan.FromMinutes(6));
        var serial = vm.Output;
        exit.Should().Be(0, serial);
        serial.Should().NotContain("Kernel panic");
        serial.Should().Contain("MODULUS-VM: booted " + kernel.Release);
        serial.Should().Contain("MODULUS-VM: done", "the scenario ran to its end");
        return serial;
    }

    /// <summary>The text after the first <c>MODULUS-VM: &lt;name&gt; </c> marker.</summary>
    public static string Marker(string serial, string name)
    {
        var prefix = $"MODULUS-VM: {name} ";
        var line = serial.Split('\n').FirstOrDefault(l => l.Contains(prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no '{prefix}' marker on the serial console:\n{serial}");
        return line[(line.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length)..].Trim();
    }
}
