namespace Modulus.Core.Pipes;

/// <summary>What one build request asks dev-builder to build.</summary>
public sealed record BuildSpec
{
    /// <summary><c>nvidia-runfile</c> or <c>kbuild</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Driver name: <c>nvidia</c>, or the module set's name for kbuild.</summary>
    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary><c>open</c> or <c>proprietary</c>; resolved by modulus, never <c>auto</c>.</summary>
    public required string ModuleType { get; init; }

    public required string Arch { get; init; }

    /// <summary>Kernel release to build for; null means the single one whose headers dev-builder has.</summary>
    public string? KernelRelease { get; init; }

    /// <summary>file://, http(s):// or a plain path, as seen by dev-builder; null means the default for the kind.</summary>
    public string? Source { get; init; }

    /// <summary>Expected lower-case hex SHA-256 of the driver source file; a source that differs is refused before it runs.</summary>
    public string? SourceSha256 { get; init; }

    /// <summary>Keep the modules' debug info; by default it is stripped, as <c>INSTALL_MOD_STRIP=1</c> does.</summary>
    public bool KeepDebugInfo { get; init; }

    /// <summary>Private key (PEM) that signs every module for Secure Boot, as the dev container sees it; with <see cref="SigningCert"/>.</summary>
    public string? SigningKey { get; init; }

    /// <summary>The X.509 certificate (PEM or DER) of <see cref="SigningKey"/>; nodes' kernels must trust it for modules (built in, or a MOK where shim boots them; docs/install.md).</summary>
    public string? SigningCert { get; init; }

    /// <summary>Name of the output directory below dev-builder's out dir.</summary>
    public required string Job { get; init; }
}
