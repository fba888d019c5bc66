namespace Modulus.Core.Pipes;

/// <summary>
/// What dev-builder built from and with: the driver source and its SHA-256, the kernel headers (build and source
/// dirs), and whether the modules' debug info was stripped, with their total size before and after.
/// </summary>
public sealed record BuildProvenance
{
    /// <summary>The driver source as given, without user info or query (they may carry credentials).</summary>
    public string? DriverSource { get; init; }

    /// <summary>SHA-256 of the driver source file (null for a source directory).</summary>
    public string? DriverSourceSha256 { get; init; }

    public required string KernelHeaders { get; init; }

    public required string KernelSource { get; init; }

    /// <summary>The compiler the headers named and the build used (<c>--version</c>'s first line), e.g. a cross compiler.</summary>
    public string? Compiler { get; init; }

    public bool ModulesStripped { get; init; }

    public long ModuleBytesBeforeStrip { get; init; }

    public long ModuleBytes { get; init; }

    /// <summary>Who signed the modules for Secure Boot: the certificate's subject and SHA-256 fingerprint; null: unsigned.</summary>
    public string? ModuleSigner { get; init; }
}
