using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Validation;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus fetch ... --store URI --to DIR</c>: download, verify and extract one artifact.</summary>
internal static class FetchCommand
{
    public static Command Create()
    {
        var keyOptions = new ArtifactKeyOptions();
        var to = new Option<string?>("--to") { Description = "Directory the artifact lands in (replaced atomically if it exists)" };
        var store = new StoreOptions();
        var command = new Command("fetch", "Download, verify and extract one artifact from a store") { to };
        keyOptions.AddTo(command);
        store.AddTo(command);
        store.Store.Required = true;
        foreach (var option in new Option[] { to, keyOptions.DriverVersion, keyOptions.GardenlinuxVersion, keyOptions.KernelVersion })
        {
            option.Required = true;
        }

        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var key = keyOptions.Resolve(parsed);
                var destination = Path.GetFullPath(InputValidator.Directory(parsed.GetValue(to), "--to"));
                using var artifactStore = store.Create(parsed, loggers, required: true)!;
                var fetcher = new Fetcher(artifactStore, loggers.CreateLogger<Fetcher>());
                var manifest = await fetcher.TryReadManifestAsync(key, token)
                    ?? throw await new StoreCatalog(artifactStore, fetcher, loggers.CreateLogger<StoreCatalog>()).NotInStoreAsync(key, token);
                await fetcher.FetchAsync(manifest, destination, token);
                await Console.Out.WriteLineAsync($"fetched {key} into {Path.GetFullPath(destination)} ({manifest.Files.Count} files, verified)");
                return ExitCodes.Success;
            },
            cancellationToken));
        return command;
    }
}
