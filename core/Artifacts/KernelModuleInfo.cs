namespace Modulus.Core.Artifacts;

/// <summary>What a <c>.ko</c> says about itself in its <c>.modinfo</c> section.</summary>
public sealed record KernelModuleInfo(string Name, string Vermagic, IReadOnlyList<string> Depends, string? License)
{
    public static KernelModuleInfo Read(string path)
    {
        var info = ElfFile.Load(path).ModInfo();
        string? Get(string key) => info.FirstOrDefault(p => p.Key == key).Value;

        var vermagic = Get("vermagic")
            ?? throw new InvalidDataException($"{path} has no vermagic in .modinfo; it was not built by kbuild");
        var name = Get("name") ?? System.IO.Path.GetFileNameWithoutExtension(path).Replace('-', '_');
        // modpost names dependencies by file name (nvidia-modeset); the kernel, /sys/module and .modinfo's name use '_'.
        var depends = (Get("depends") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Replace('-', '_')).ToArray();
        return new KernelModuleInfo(name, vermagic, depends, Get("license"));
    }

    /// <summary>The kernel release a module was built for: the first word of its vermagic.</summary>
    public string KernelRelease => Vermagic.Split(' ', 2)[0];
}
