using Modulus.Core.Artifacts;

namespace Modulus.Compile;

/// <summary>A validated <c>modulus compile</c>: what to build, through which dev-builder, into which cache.</summary>
internal sealed record CompileRequest
{
    public required string DriverKind { get; init; }

    public required string DriverName { get; init; }

    public required string DriverVersion { get; init; }

    /// <summary>open or proprietary (auto is resolved before).</summary>
    public required string ModuleType { get; init; }

    public required string Arch { get; init; }

    public required string GardenlinuxVersion { get; init; }

    /// <summary>null: the single kernel dev-builder has headers for.</summary>
    public string? KernelRelease { get; init; }

    public string? DriverSource { get; init; }

    /// <summary>Expected SHA-256 of the driver source file; dev-builder refuses a different file before running it.</summary>
    public string? DriverSourceSha256 { get; init; }

    /// <summary>Key and certificate (paths as the dev container sees them) that sign every module for Secure Boot.</summary>
    public string? ModuleSigningKey { get; init; }

    public string? ModuleSigningCert { get; init; }

    /// <summary>Keep debug info in the modules (by default stripped as INSTALL_MOD_STRIP=1 does).</summary>
    public bool KeepDebugInfo { get; init; }

    public required string CacheDir { get; init; }

    /// <summary>Attach to the dev-builder in this cmd dir; null with <see cref="LocalBuilder"/>.</summary>
    public string? CmdDir { get; init; }

    public bool LocalBuilder { get; init; }

    /// <summary>Build even when the store has the artifact (the chart's forceCompile).</summary>
    public bool Force { get; init; }

    public string DevBuilderPayload { get; init; } = PayloadPlacer.DefaultPayload;

    public DevBuilderClientOptions Client { get; init; } = new();

    /// <summary>The compile an install asks for: the install's key, built by the dev-builder it is given.</summary>
    public static CompileRequest For(ArtifactKey key, string driverKind, string? driverSource, string cacheDir, string? cmdDir, bool localBuilder) => new()
    {
        DriverKind = driverKind, DriverName = key.Name, DriverVersion = key.Version, ModuleType = key.ModuleType, Arch = key.Arch,
        GardenlinuxVersion = key.GardenlinuxVersion, KernelRelease = key.KernelRelease, DriverSource = driverSource,
        CacheDir = cacheDir, CmdDir = cmdDir, LocalBuilder = localBuilder,
    };

    public ArtifactKey KeyFor(string kernelRelease) =>
        new(DriverName, DriverVersion, ModuleType, Arch, GardenlinuxVersion, kernelRelease);

    /// <summary>The kind an artifact of this name was built with: NVIDIA's runfile for <c>nvidia</c>, kbuild for module sets.</summary>
    public static string KindOf(string driverName) => driverName == "nvidia" ? "nvidia-runfile" : "kbuild";

    /// <summary><c>auto</c> means proprietary below driver 560, open from 560 on (NVIDIA's own default since 560).</summary>
    public static string ResolveModuleType(string requested, string driverKind, string driverVersion)
    {
        if (requested != "auto")
        {
            return requested;
        }

        if (driverKind != "nvidia-runfile")
        {
            return "open";
        }

        var major = int.Parse(driverVersion.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        return major < 560 ? "proprietary" : "open";
    }
}
