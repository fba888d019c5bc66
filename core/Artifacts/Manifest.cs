namespace Modulus.Core.Artifacts;

/// <summary>manifest.json: what an artifact holds and how it was built (docs/manifest.md).</summary>
public sealed record Manifest
{
    /// <summary>
    /// 2: libraries in <c>usr/lib/&lt;triplet&gt;/</c>, firmware in <c>lib/firmware/</c> (<see cref="ArtifactLayout"/>); every
    /// symlink relative and inside the artifact. 1: libraries in <c>lib/</c>, firmware in <c>firmware/</c>.
    /// </summary>
    public const int CurrentSchemaVersion = 2;

    /// <summary>The oldest schema this modulus still reads (and installs).</summary>
    public const int OldestSchemaVersion = 1;
    public const string FileName = "manifest.json";

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required DriverInfo Driver { get; init; }

    public required string GardenlinuxVersion { get; init; }

    public required string KernelRelease { get; init; }

    public required string Arch { get; init; }

    /// <summary>The published tarball; null for an artifact that only exists in a cache so far.</summary>
    public BlobInfo? Blob { get; init; }

    public required IReadOnlyList<FileEntry> Files { get; init; }

    /// <summary>Kernel modules in load order.</summary>
    public required IReadOnlyList<ModuleEntry> Modules { get; init; }

    public required BuildInfo Build { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public ArtifactKey Key => new(Driver.Name, Driver.Version, Driver.ModuleType, Arch, GardenlinuxVersion, KernelRelease);
}

public sealed record DriverInfo(string Name, string Version, ModuleType ModuleType, DriverKind Kind);

public sealed record BlobInfo(string Key, string Sha256, long Size, string Compression);

/// <summary>A file of the artifact; symlinks have a <see cref="LinkTarget"/> and no hash. Mode is octal, e.g. "0755".</summary>
public sealed record FileEntry(string Path, string? Sha256, long Size, string Mode, string? LinkTarget);

public sealed record ModuleEntry(string Name, string Path, string Vermagic)
{
    /// <summary>
    /// modinfo <c>depends</c>: the modules this one needs loaded first, in this artifact or in the kernel's own tree
    /// (e.g. nvidia_drm → drm, drm_kms_helper). Null in manifests written before it was recorded.
    /// </summary>
    public IReadOnlyList<string>? Depends { get; init; }
}

/// <summary>Who built an artifact, from what, with what (docs/manifest.md); the provenance fields are null in older manifests.</summary>
public sealed record BuildInfo(string ModulusVersion, string BuilderImage, string Compiler, DateTimeOffset StartedAt, double DurationSeconds)
{
    /// <summary>The driver source as given (user info and query removed).</summary>
    public string? DriverSource { get; init; }

    /// <summary>SHA-256 of the driver source file.</summary>
    public string? DriverSourceSha256 { get; init; }

    /// <summary>The kernel headers' build dir (kbuild's output tree, NVIDIA's SYSOUT).</summary>
    public string? KernelHeaders { get; init; }

    /// <summary>The kernel headers' source dir (NVIDIA's SYSSRC); equal to <see cref="KernelHeaders"/> for unsplit headers.</summary>
    public string? KernelSource { get; init; }

    /// <summary>Whether debug info was stripped from the modules (<c>strip --strip-debug</c>, as INSTALL_MOD_STRIP=1).</summary>
    public bool? ModulesStripped { get; init; }

    /// <summary>Total size of the .ko files as built, before stripping.</summary>
    public long? ModuleBytesBeforeStrip { get; init; }

    /// <summary>Total size of the .ko files in the artifact.</summary>
    public long? ModuleBytes { get; init; }

    /// <summary>The certificate that signed every module (kernel module signature, for Secure Boot): subject and SHA-256 fingerprint.</summary>
    public string? ModuleSigner { get; init; }
}
