namespace Modulus.Tests.Fixtures;

/// <summary>
/// A node kernel the VM tests boot: a directory under .tools/ that .ci/install-vm-kernels.sh prepares, holding
/// kernel.env (RELEASE, ARCH), vmlinuz-&lt;release&gt; and lib/modules/&lt;release&gt; with depmod's index, its in-tree
/// modules as .ko.xz like Garden Linux's.
/// </summary>
public sealed class VmKernel
{
    private readonly Lazy<Dictionary<string, string>> env;

    private VmKernel(string name, string description)
    {
        Name = name;
        Description = description;
        env = new(() =>
        {
            var file = Path.Combine(Directory, "kernel.env");
            File.Exists(file).Should().BeTrue($"`make test` (.ci/install-vm-kernels.sh) prepares {Description} in {Directory}");
            return File.ReadAllLines(file).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        });
    }

    /// <summary>Debian 12's 6.1, the kernel of the installed headers; it cannot decompress modules (like Garden Linux 1592, 1877).</summary>
    public static VmKernel Debian12 { get; } = new("vm", "Debian 12's 6.1 with .ko.xz in-tree modules");

    /// <summary>Debian trixie's 6.12, which decompresses its .ko.xz modules itself (like Garden Linux 2150).</summary>
    public static VmKernel Trixie { get; } = new("vm-trixie", "Debian trixie's 6.12");

    /// <summary>trixie's arm64 6.12 under qemu-system-aarch64, with an arm64 busybox and libraries (sysroot/).</summary>
    public static VmKernel Arm64 { get; } = new("vm-arm64", "Debian trixie's arm64 6.12");

    /// <summary>The directory's name under .tools/, which tests/vm/boot.sh takes as VM_KERNEL.</summary>
    public string Name { get; }

    public string Description { get; }

    public string Directory => Path.Combine(Repo.Root, ".tools", Name);

    public string Release => env.Value["RELEASE"];

    /// <summary>uname -m: x86_64 or aarch64.</summary>
    public string Machine => env.Value["ARCH"];

    /// <summary>Modulus's name for the architecture: amd64 or arm64.</summary>
    public string Arch => Machine == "aarch64" ? "arm64" : "amd64";

    public string Image => Path.Combine(Directory, "vmlinuz-" + Release);

    /// <summary>The kernel package's module tree with modules.dep, as a node has it.</summary>
    public string ModuleTree => Path.Combine(Directory, "lib", "modules", Release);

    /// <summary>The native modulus for this kernel's architecture (`make vm-modulus`), built from these sources.</summary>
    public string ModulusBinary => Repo.Native("modulus", Arch == "arm64" ? "modulus-arm64" : "modulus");

    public override string ToString() => $"{Name} ({Release})";
}
