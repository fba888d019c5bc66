using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Install;
using Modulus.Storage;

namespace Modulus.Compile;

/// <summary>
/// The compile an install falls back to (<c>--allow-compilation</c>): exactly the install's key, through the same
/// <see cref="CompileRequest"/> and <see cref="CompileSettings"/> as <c>modulus compile</c>, then a publish to the
/// store as a courtesy to the other nodes (a read-only store does not fail the install).
/// </summary>
internal sealed class InstallCompiler(Compiler compiler, CompileSettings settings, string cacheDir, IArtifactStore? store, ILogger logger) : IArtifactCompiler
{
    public async Task<string> CompileAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var built = await compiler.CompileAsync(CompileRequest.ForInstall(key, cacheDir, settings), null, cancellationToken);
        if (store is not null)
        {
            try
            {
                await new Publisher(store, logger) { Compression = settings.Compression }.PublishAsync(built.Directory!, cancellationToken);
            }
            catch (StoreException e)
            {
                logger.LogWarning("Compiled, but could not publish to {Store} ({Error}); other nodes will compile too", store.Location, e.Message);
            }
        }

        return built.Directory!;
    }
}
