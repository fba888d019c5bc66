namespace Modulus.Install;

/// <summary>
/// What an install did: the live cache entry, whether it was live already, whether the node has no NVIDIA GPU (then
/// nothing was loaded), and the steps taken (with --dry-run: the steps it would take).
/// </summary>
internal sealed record InstallOutcome(string ArtifactDirectory, bool AlreadyInstalled, IReadOnlyList<string> Steps)
{
    public bool NoGpu { get; init; }
}
