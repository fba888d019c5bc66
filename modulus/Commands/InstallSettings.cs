using Modulus.Compile;
using Modulus.Drivers;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Storage;
using Modulus.Upgrade;

namespace Modulus.Commands;

/// <summary>Everything <c>modulus install</c> was told, bound and checked (<see cref="Options.InstallOptions"/>).</summary>
internal sealed record InstallSettings
{
    public required ArtifactSelection Artifact { get; init; }

    public required HostSettings Host { get; init; }

    public IReadOnlyDictionary<string, string> ModuleParameters { get; init; } = new Dictionary<string, string>();

    public PeermemPolicy Peermem { get; init; }

    public bool IommuPassthrough { get; init; }

    public bool DryRun { get; init; }

    public bool SkipGpuCheck { get; init; }

    public bool StartPersistenced { get; init; }

    public int KeepCacheEntries { get; init; } = 2;

    /// <summary>How to compile when the store lacks the artifact; null: compilation is not allowed.</summary>
    public CompileSettings? Compile { get; init; }

    public StoreSettings? Store { get; init; }

    /// <summary>In-place upgrades; null: off (a driver in use is exit 4).</summary>
    public UpgradePolicy? Upgrade { get; init; }

    public required KubernetesSettings Kubernetes { get; init; }
}
