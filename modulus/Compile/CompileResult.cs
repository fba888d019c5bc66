using Modulus.Core.Artifacts;

namespace Modulus.Compile;

/// <summary>
/// The outcome of a compile: the cache entry it wrote (null when skipped because the store had the artifact),
/// its manifest, and where it was published.
/// </summary>
internal sealed record CompileResult(string? Directory, Manifest Manifest, bool Skipped, string? PublishedTo)
{
    /// <summary>What dev-builder warned about (e.g. a .run without userspace).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
