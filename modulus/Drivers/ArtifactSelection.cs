using Modulus.Core.Artifacts;

namespace Modulus.Drivers;

/// <summary>
/// The artifact a command names, as far as its options say: what is not given (null) each command fills in its own
/// way (compile from dev-builder's kernels, install from the node, fetch requires everything).
/// </summary>
internal sealed record ArtifactSelection
{
    /// <summary>Driver or module set name; null: the command's default (nvidia, or a kbuild source's base name).</summary>
    public string? Name { get; init; }

    public required string Version { get; init; }

    /// <summary>open or proprietary; null: auto (<see cref="ModuleTypeRule"/>).</summary>
    public ModuleType? ModuleType { get; init; }

    public required string Arch { get; init; }

    public string? GardenlinuxVersion { get; init; }

    public string? KernelRelease { get; init; }
}
