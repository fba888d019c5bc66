using Microsoft.Extensions.Logging;
using Modulus.Core.Files;
using Modulus.Core.Pipes;

namespace Modulus.Compile;

/// <summary>
/// Puts the self-contained dev-builder tarball into the cmd dir for bootstrap.sh, unless it or a ready file is
/// there already. The copy is renamed into place, so bootstrap never unpacks half a file.
/// </summary>
internal static class PayloadPlacer
{
    /// <summary>Where the image keeps the payload: beside modulus (<c>--dev-builder-payload</c>, MODULUS_DEV_BUILDER_PAYLOAD, says otherwise).</summary>
    public static string DefaultPayload => Path.Combine(AppContext.BaseDirectory, "dev-builder.tar.gz");

    public static async Task PlaceAsync(CmdDir cmd, string payload, ILogger logger, CancellationToken cancellationToken)
    {
        if (File.Exists(cmd.Payload) || File.Exists(cmd.ReadyFile))
        {
            return;
        }

        if (!File.Exists(payload))
        {
            logger.LogWarning("No dev-builder payload at {Payload} to place into {CmdDir}; waiting for a dev-builder started some other way", payload, cmd.Path);
            return;
        }

        Directory.CreateDirectory(cmd.Path);
        await using (var source = File.OpenRead(payload))
        {
            await AtomicFile.WriteAsync(cmd.Payload, target => source.CopyToAsync(target, cancellationToken), cancellationToken);
        }

        logger.LogInformation("Placed the dev-builder payload {Payload} into {CmdDir} for bootstrap.sh", payload, cmd.Path);
    }
}
