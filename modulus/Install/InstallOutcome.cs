namespace Modulus.Install;

/// <summary>What an install did: the live cache entry and whether anything changed.</summary>
internal sealed record InstallOutcome(string ArtifactDirectory, bool AlreadyInstalled, IReadOnlyList<string> Steps);
