using Modulus.Core.Artifacts;

namespace Modulus.Compile;

/// <summary>
/// One compile: what to build (kind, name, version, resolved module type, arch, Garden Linux version, and the kernel
/// or null for the one whose headers dev-builder has), into which cache, with which <see cref="CompileSettings"/>.
/// <c>modulus compile</c> and an install's fallback compile (<see cref="ForInstall"/>) make it the same way.
/// </summary>
internal sealed record CompileRequest
{
    public required DriverKind DriverKind { get; init; }

    public required string DriverName { get; init; }

    public required string DriverVersion { get; init; }

    public required ModuleType ModuleType { get; init; }

    public required string Arch { get; init; }

    public required string GardenlinuxVersion { get; init; }

    /// <summary>null: every kernel of <see cref="Arch"/> whose headers dev-builder has (narrowed by <see cref="KernelFlavours"/>).</summary>
    public string? KernelRelease { get; init; }

    /// <summary>Only the kernels of these flavours (<c>default</c>, <c>cloud</c>, …; <see cref="Compile.KernelFlavours"/>); null: all.</summary>
    public IReadOnlyList<string>? KernelFlavours { get; init; }

    public required string CacheDir { get; init; }

    public CompileSettings Settings { get; init; } = new();

    /// <summary>The compile an install asks for: exactly the install's key, with the settings <c>compile</c> would take.</summary>
    public static CompileRequest ForInstall(ArtifactKey key, string cacheDir, CompileSettings settings) => new()
    {
        DriverKind = key.Kind, DriverName = key.Name, DriverVersion = key.Version, ModuleType = key.ModuleType, Arch = key.Arch,
        GardenlinuxVersion = key.GardenlinuxVersion, KernelRelease = key.KernelRelease, CacheDir = cacheDir, Settings = settings,
    };

    public ArtifactKey KeyFor(string kernelRelease) =>
        new(DriverName, DriverVersion, ModuleType, Arch, GardenlinuxVersion, kernelRelease);
}
