using Modulus.Core.Artifacts;

namespace Modulus.Install;

/// <summary>A validated <c>modulus install</c>.</summary>
internal sealed record InstallRequest
{
    /// <summary>The artifact to make live: driver, version, module type (resolved), arch, Garden Linux version, kernel.</summary>
    public required ArtifactKey Key { get; init; }

    public required string CacheDir { get; init; }

    /// <summary>The host's / as mounted in this container ("/" on the host itself).</summary>
    public required string HostRoot { get; init; }

    /// <summary>Host path that gets the <c>nvidia</c> symlink to the live cache entry (chart: hostDriverPath).</summary>
    public string HostDriverPath { get; init; } = HostSettings.DefaultHostDriverPath;

    /// <summary>Parameters per module name, e.g. nvidia → "NVreg_EnableGpuFirmware=0".</summary>
    public IReadOnlyDictionary<string, string> ModuleParameters { get; init; } = new Dictionary<string, string>();

    public PeermemPolicy Peermem { get; init; } = PeermemPolicy.Auto;

    /// <summary>Switch each NVIDIA GPU's IOMMU group to identity before loading (<see cref="IommuPassthrough"/>).</summary>
    public bool IommuPassthrough { get; init; }

    public bool DryRun { get; init; }

    /// <summary>Load even where the PCI scan finds no NVIDIA GPU (the VM tests; GPUs that are not PCI functions).</summary>
    public bool SkipGpuCheck { get; init; }

    public bool StartPersistenced { get; init; }

    /// <summary>Cache entries to keep besides the live one; older ones (other kernels, other versions) are removed.</summary>
    public int KeepCacheEntries { get; init; } = 2;

    public HostSettings Host => new(HostRoot, CacheDir, HostDriverPath);
}
