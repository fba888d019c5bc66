using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Commands.Options;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus publish --from DIR --store URI</c>: publish an artifact directory (a cache entry).</summary>
internal static class PublishCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var from = new Option<string?>("--from") { Description = "Artifact directory with its manifest.json (a cache entry)" };
        var compression = CommonOptions.Compression();
        var store = new StoreOptions(getVariable);
        var command = new Command("publish", "Publish an artifact directory to a store") { from, compression };
        store.AddTo(command);
        store.Store.Required = true;
        from.Required = true;
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var dir = parsed.GetValue(from) ?? throw new InvalidInputException("--from is required: an artifact directory with its manifest.json");
                if (!File.Exists(Path.Combine(dir, "manifest.json")))
                {
                    throw new InvalidInputException($"--from {dir} has no manifest.json; pass a cache entry such as /opt/modulus/cache/<gl>/<kernel>/<artifact>");
                }

                using var artifactStore = store.Open(parsed, loggers, writes: true)!;
                var manifest = await new Publisher(artifactStore, loggers.CreateLogger<Publisher>()) { Compression = BlobCompression.Validate(parsed.GetValue(compression)) }.PublishAsync(dir, token);
                await Console.Out.WriteLineAsync($"published {manifest.Key} to {artifactStore.Location}");
                await Console.Out.WriteLineAsync($"  manifest: {StoreLayout.ManifestKey(manifest.Key)}");
                await Console.Out.WriteLineAsync($"  blob: {manifest.Blob!.Key} ({manifest.Blob.Size} bytes, sha256 {manifest.Blob.Sha256})");
                return ExitCodes.Success;
            },
            cancellationToken));
        return command;
    }
}
