namespace Modulus.Core.Artifacts;

/// <summary>
/// What identifies one artifact: driver, version, module type, arch, Garden Linux version, kernel. Where it lives
/// is the store layout's business (<c>Storage/StoreLayout</c>) and the host cache's (<c>Cache/HostCache</c>).
/// </summary>
public sealed record ArtifactKey(string Name, string Version, ModuleType ModuleType, string Arch, string GardenlinuxVersion, string KernelRelease)
{
    /// <summary><c>nvidia-550.127.08-proprietary-amd64</c></summary>
    public string ArtifactName => $"{Name}-{Version}-{ModuleType.Name()}-{Arch}";

    public DriverKind Kind => DriverKinds.Of(Name);

    public override string ToString() => $"{ArtifactName} for Garden Linux {GardenlinuxVersion}, kernel {KernelRelease}";
}
