using Microsoft.Extensions.Logging;
using Modulus.Core.Pipes;

namespace Modulus.Compile;

/// <summary>
/// Puts the self-contained dev-builder tarball into the cmd dir for bootstrap.sh, unless it or a ready file is
/// there already. The copy is renamed into place, so bootstrap never unpacks half a file.
/// </summary>
internal static class PayloadPlacer
{
    /// <summary>Where the image keeps the payload, unless <c>MODULUS_DEV_BUILDER_PAYLOAD</c> says otherwise.</summary>
    public static string DefaultPayload =>
        Environment.GetEnvironmentVariable("MODULUS_DEV_BUILDER_PAYLOAD") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "dev-builder.tar.gz");

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
        var temp = cmd.Payload + ".tmp-" + Environment.ProcessId;
        await using (var source = File.OpenRead(payload))
        await using (var target = File.Create(temp))
        {
            await source.CopyToAsync(target, cancellationToken);
            await target.FlushAsync(cancellationToken);
            target.Flush(flushToDisk: true);
        }

        File.Move(temp, cmd.Payload, overwrite: false);
        logger.LogInformation("Placed the dev-builder payload {Payload} into {CmdDir} for bootstrap.sh", payload, cmd.Path);
    }
}
