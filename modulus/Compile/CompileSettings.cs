namespace Modulus.Compile;

/// <summary>
/// How to compile, the same for <c>modulus compile</c> and for an install that may compile
/// (<c>--allow-compilation</c>): the driver source and its checksum, debug info, module signing, the dev-builder to
/// use, and the blob format of the publish after the build. Bound and checked once, by <c>Commands/Options/CompileOptions</c>.
/// </summary>
internal sealed record CompileSettings
{
    /// <summary>file://, http(s):// or a path, as dev-builder sees it; null: NVIDIA's download of the version.</summary>
    public string? DriverSource { get; init; }

    /// <summary>Expected SHA-256 of the driver source file; dev-builder refuses a different file before running it.</summary>
    public string? DriverSourceSha256 { get; init; }

    /// <summary>Keep debug info in the modules (by default stripped as INSTALL_MOD_STRIP=1 does).</summary>
    public bool KeepDebugInfo { get; init; }

    /// <summary>Key and certificate (paths as the dev container sees them) that sign every module for Secure Boot.</summary>
    public string? ModuleSigningKey { get; init; }

    public string? ModuleSigningCert { get; init; }

    /// <summary>
    /// NVIDIA's fabric manager package (.deb, an absolute path as modulus sees it) to put into every artifact of
    /// this compile, for NVSwitch nodes (<see cref="Drivers.FabricManagerPackage"/>); null: none.
    /// </summary>
    public string? FabricManagerPackage { get; init; }

    /// <summary>Attach to the dev-builder in this cmd dir; null with <see cref="LocalBuilder"/>.</summary>
    public string? CmdDir { get; init; }

    /// <summary>Start dev-builder as a child over a private cmd dir.</summary>
    public bool LocalBuilder { get; init; }

    /// <summary>The dev-builder executable <see cref="LocalBuilder"/> starts.</summary>
    public string DevBuilderExecutable { get; init; } = LocalDevBuilder.DefaultExecutable;

    /// <summary>The dev-builder tarball placed into the cmd dir for bootstrap.sh.</summary>
    public string DevBuilderPayload { get; init; } = PayloadPlacer.DefaultPayload;

    public DevBuilderClientOptions Client { get; init; } = new();

    /// <summary>The blob format of the publish after the build (<see cref="Distribution.BlobCompression"/>).</summary>
    public string Compression { get; init; } = Distribution.BlobCompression.Default;

    /// <summary>Build and publish even when the store has the artifact (the chart's forceCompile).</summary>
    public bool Force { get; init; }
}
