using Modulus.Core.Artifacts;

namespace Modulus.Install;

/// <summary>
/// The compile an install falls back to (<c>--allow-compilation</c>) when the store lacks its artifact:
/// <c>Compile/InstallCompiler</c> builds exactly <paramref name="key"/> with the settings <c>modulus compile</c> takes.
/// </summary>
internal interface IArtifactCompiler
{
    /// <summary>Builds the artifact into the host cache and returns its entry directory.</summary>
    Task<string> CompileAsync(ArtifactKey key, CancellationToken cancellationToken);
}
