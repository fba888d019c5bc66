using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus list --store URI [--json]</c>: what the store holds.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "One JSON array on stdout, for scripts" };
        var store = new StoreOptions();
        var command = new Command("list", "List the artifacts a store holds") { json };
        store.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                using var artifactStore = store.Create(parsed, loggers, required: true)!;
                var fetcher = new Fetcher(artifactStore, loggers.CreateLogger<Fetcher>());
                var entries = await new StoreCatalog(artifactStore, fetcher, loggers.CreateLogger<StoreCatalog>()).ReadAllAsync(string.Empty, token);
                var rows = entries.Where(e => e.Manifest is not null).Select(e => e.Manifest!).Select(m => new ListRow(
                    m.GardenlinuxVersion, m.KernelRelease, m.Driver.Name, m.Driver.Version, m.Driver.ModuleType, m.Arch,
                    m.Blob?.Size ?? 0, m.CreatedAt, StoreLayout.ManifestKey(m.Key), (artifactStore as SigningStore)?.SignerOf(StoreLayout.ManifestKey(m.Key)))).ToList();
                if (parsed.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(rows, ProtocolJson.Indented));
                }
                else
                {
                    await Console.Out.WriteLineAsync($"{"GARDENLINUX",-12} {"KERNEL",-28} {"DRIVER",-12} {"VERSION",-12} {"TYPE",-12} {"ARCH",-6} {"SIZE",10} CREATED");
                    foreach (var row in rows)
                    {
                        await Console.Out.WriteLineAsync(
                            $"{row.GardenlinuxVersion,-12} {row.KernelRelease,-28} {row.Driver,-12} {row.Version,-12} {row.ModuleType,-12} {row.Arch,-6} {row.Size / 1048576.0,8:F1}Mi {row.CreatedAt:yyyy-MM-dd HH:mm}");
                    }
                }

                var unreadable = entries.Count(e => e.Manifest is null);
                return unreadable == 0 ? ExitCodes.Success : throw new ModulusException($"{unreadable} manifest(s) in {artifactStore.Location} could not be read; see the warnings above");
            },
            cancellationToken));
        return command;
    }

    private sealed record ListRow(string GardenlinuxVersion, string KernelRelease, string Driver, string Version, string ModuleType, string Arch, long Size, DateTimeOffset CreatedAt, string Manifest, string? Signer);
}
