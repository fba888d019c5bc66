using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Commands.Options;
using Modulus.Core.Errors;
using Modulus.Core.Validation;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus fetch ... --store URI --to DIR</c>: download, verify and extract one artifact.</summary>
internal static class FetchCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var keyOptions = new ArtifactOptions("Garden Linux version, e.g. 1592.3", "Kernel release, e.g. 6.6.62-cloud-amd64");
        var to = new Option<string?>("--to") { Description = "Directory the artifact lands in (replaced atomically if it exists)" };
        var store = new StoreOptions(getVariable);
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
                var key = keyOptions.BindKey(parsed);
                var destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(InputValidator.Directory(parsed.GetValue(to), "--to")));
                if (Path.GetDirectoryName(destination) is not { } root)
                {
                    throw new InvalidInputException($"--to '{destination}' is not valid: expected a directory to make or replace, not the root");
                }

                while (!Directory.Exists(root))
                {
                    root = Path.GetDirectoryName(root)!; // the nearest existing one is the root; the fetch makes the rest, and removes it on failure
                }

                using var artifactStore = store.Open(parsed, loggers)!;
                var fetcher = new Fetcher(artifactStore, loggers.CreateLogger<Fetcher>());
                var manifest = await fetcher.TryReadManifestAsync(key, token)
                    ?? throw await new StoreCatalog(artifactStore, fetcher, loggers.CreateLogger<StoreCatalog>()).NotInStoreAsync(key, token);
                await fetcher.FetchAsync(manifest, root, Path.GetRelativePath(root, destination), token);
                await Console.Out.WriteLineAsync($"fetched {key} into {Path.GetFullPath(destination)} ({manifest.Files.Count} files, verified)");
                return ExitCodes.Success;
            },
            cancellationToken));
        return command;
    }
}
