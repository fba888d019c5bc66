namespace Modulus.Install;

/// <summary>
/// What an install did: the live cache entry, whether it was live already, whether the node has no NVIDIA GPU (then
/// nothing was loaded), and the steps taken (with --dry-run: the steps it would take).
/// </summary>
internal sealed record InstallOutcome(string ArtifactDirectory, bool AlreadyInstalled, IReadOnlyList<string> Steps)
{
    public bool NoGpu { get; init; }

    /// <summary>Bytes fetched from the store: the blob's size, or 0 when the cache had the artifact.</summary>
    public long BytesFetched { get; init; }
}
