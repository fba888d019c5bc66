namespace Modulus.Core.Artifacts;

/// <summary>manifest.json: what an artifact holds and how it was built (docs/manifest.md).</summary>
public sealed record Manifest
{
    public const int CurrentSchemaVersion = 1;
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

public sealed record DriverInfo(string Name, string Version, string ModuleType, string Kind);

public sealed record BlobInfo(string Key, string Sha256, long Size, string Compression);

/// <summary>A file of the artifact; symlinks have a <see cref="LinkTarget"/> and no hash. Mode is octal, e.g. "0755".</summary>
public sealed record FileEntry(string Path, string? Sha256, long Size, string Mode, string? LinkTarget);

public sealed record ModuleEntry(string Name, string Path, string Vermagic);

public sealed record BuildInfo(string ModulusVersion, string BuilderImage, string Compiler, DateTimeOffset StartedAt, double DurationSeconds);
