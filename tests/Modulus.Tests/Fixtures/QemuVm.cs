namespace Modulus.Tests.Fixtures;

/// <summary>
/// Debian's kernel of the installed headers under QEMU (TCG) with a busybox initramfs built from a root directory:
/// the self-contained modulus (`make vm-modulus`), a /init scenario from tests/vm, and the in-tree modules a scenario
/// needs from the kernel's own package (`.ci/install-prereqs.sh` keeps them with depmod's index). A kernel panic also
/// exits 0, so results are read from MODULUS-VM markers on the serial console.
/// </summary>
public static class QemuVm
{
    public static string Kernel => Path.Combine(Repo.Root, ".tools", "vm", "vmlinuz-" + KernelUnderTest.Release);

    public static string ModulusBinary => Path.Combine(Repo.Root, ".cache", "vm", "modulus", "modulus");

    /// <summary>The kernel package's module tree with modules.dep, as a node has it.</summary>
    public static string ModuleTree => Path.Combine(Repo.Root, ".tools", "vm", "lib", "modules", KernelUnderTest.Release);

    /// <summary>Puts modulus at /opt/modulus/modulus and tests/vm/<paramref name="script"/> at /init.</summary>
    public static void AddModulusAndInit(string root, string script)
    {
        File.Exists(ModulusBinary).Should().BeTrue($"`make test` publishes the self-contained modulus to {ModulusBinary}");
        File.Exists(Kernel).Should().BeTrue($"`make test` (.ci/install-prereqs.sh) unpacks the kernel to {Kernel}");
        Directory.CreateDirectory(Path.Combine(root, "opt", "modulus"));
        File.Copy(ModulusBinary, Path.Combine(root, "opt", "modulus", "modulus"));
        File.Copy(Path.Combine(Repo.Root, "tests", "vm", script), Path.Combine(root, "init"));
        File.SetUnixFileMode(Path.Combine(root, "init"), (UnixFileMode)0x1ED);
    }

    /// <summary>
    /// Gives the VM the kernel's module index (modules.dep, modules.builtin) and the files of <paramref name="names"/>
    /// and everything they depend on, as modules.dep lists them; the rest of the 400 MB tree stays out of the initramfs.
    /// </summary>
    public static IReadOnlyList<string> AddInTreeModules(string root, IEnumerable<string> names)
    {
        File.Exists(Path.Combine(ModuleTree, "modules.dep")).Should().BeTrue($"`make test` (.ci/install-prereqs.sh) keeps the kernel's modules with depmod's index in {ModuleTree}");
        var target = Path.Combine(root, "lib", "modules", KernelUnderTest.Release);
        Directory.CreateDirectory(target);
        foreach (var index in new[] { "modules.dep", "modules.builtin", "modules.builtin.modinfo", "modules.order" })
        {
            File.Copy(Path.Combine(ModuleTree, index), Path.Combine(target, index));
        }

        var dep = File.ReadAllLines(Path.Combine(ModuleTree, "modules.dep"))
            .Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => Path.GetFileName(p[0]).Replace(".ko", string.Empty, StringComparison.Ordinal).Replace('-', '_'), p => p[0]);
        var lines = File.ReadAllLines(Path.Combine(ModuleTree, "modules.dep")).ToDictionary(l => l.Split(':')[0], l => l.Split(':')[1]);
        var files = names.SelectMany(n => new[] { dep[n] }.Concat(lines[dep[n]].Split(' ', StringSplitOptions.RemoveEmptyEntries))).Distinct().ToList();
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, file))!);
            File.Copy(Path.Combine(ModuleTree, file), Path.Combine(target, file));
        }

        return files;
    }

    /// <summary>Builds the initramfs from <paramref name="root"/>, boots it (tests/vm/boot.sh), and returns the serial console.</summary>
    public static async Task<string> BootAsync(string root, string workDir, int memoryMiB = 1536, string kernelArguments = "")
    {
        var (exit, vm) = await ChildProcess.RunAsync("sh",
            [Path.Combine(Repo.Root, "tests", "vm", "boot.sh"), root, workDir, memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture), kernelArguments],
            timeout: TimeSpan.FromMinutes(5));
        var serial = vm.Output;
        exit.Should().Be(0, serial);
        serial.Should().NotContain("Kernel panic");
        serial.Should().Contain("MODULUS-VM: booted " + KernelUnderTest.Release);
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
