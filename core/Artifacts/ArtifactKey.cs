namespace Modulus.Core.Artifacts;

/// <summary>What identifies one artifact: driver, version, module type, arch, Garden Linux version, kernel.</summary>
public sealed record ArtifactKey(string Name, string Version, string ModuleType, string Arch, string GardenlinuxVersion, string KernelRelease)
{
    /// <summary><c>nvidia-550.127.08-proprietary-amd64</c></summary>
    public string ArtifactName => $"{Name}-{Version}-{ModuleType}-{Arch}";

    /// <summary>Directory in the host cache, relative to the cache root: <c>&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c>.</summary>
    public string CachePath => Path.Combine(GardenlinuxVersion, KernelRelease, ArtifactName);

    /// <summary>Key prefix in a store, relative to the store prefix: <c>gardenlinux-&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c>.</summary>
    public string StorePath => $"gardenlinux-{GardenlinuxVersion}/{KernelRelease}/{ArtifactName}";

    public override string ToString() => $"{ArtifactName} for Garden Linux {GardenlinuxVersion}, kernel {KernelRelease}";
}
