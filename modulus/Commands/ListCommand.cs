using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Commands.Options;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus list --store URI [--json]</c>: what the store holds.</summary>
internal static class ListCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var json = new Option<bool>("--json") { Description = "One JSON array on stdout, for scripts: blob hash and build provenance included, unreadable entries with their error" };
        var gardenlinux = CommonOptions.GardenlinuxVersion("Only artifacts for this Garden Linux version");
        var driver = new Option<string?>("--driver-version") { Description = "Only this driver version" };
        var kernel = CommonOptions.KernelVersion("Only artifacts for this kernel release");
        var store = new StoreOptions(getVariable);
        var command = new Command("list", "List the artifacts a store holds, and the entries it cannot read") { json, gardenlinux, driver, kernel };
        store.AddTo(command);
        store.Store.Required = true;
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var filter = new Filter(parsed.GetValue(gardenlinux), parsed.GetValue(driver), parsed.GetValue(kernel));
                using var artifactStore = store.Open(parsed, loggers)!;
                var fetcher = new Fetcher(artifactStore, loggers.CreateLogger<Fetcher>());
                var entries = (await new StoreCatalog(artifactStore, fetcher, loggers.CreateLogger<StoreCatalog>()).ReadAllAsync(filter.Prefix, token))
                    .Where(e => e.Manifest is null ? filter.MatchesKey(e.ManifestKey) : filter.Matches(e.Manifest)).ToList();
                var rows = entries.Where(e => e.Manifest is not null).Select(e => e.Manifest!).Select(m => new ListRow(
                    m.GardenlinuxVersion, m.KernelRelease, m.Driver.Name, m.Driver.Version, m.Driver.ModuleType.Name(), m.Arch,
                    m.Blob?.Size ?? 0, m.CreatedAt, StoreLayout.ManifestKey(m.Key), (artifactStore as SigningStore)?.SignerOf(StoreLayout.ManifestKey(m.Key)),
                    m.Blob?.Sha256, m.Blob?.Compression, m.Build)).ToList();
                var broken = entries.Where(e => e.Manifest is null).Select(e => new BrokenRow(e.ManifestKey, e.Problem ?? "cannot be read")).ToList();
                if (parsed.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize<object[]>([.. rows, .. broken], CommandJson.Info<object[]>(CommandJson.Indented)));
                }
                else
                {
                    await Console.Out.WriteLineAsync($"{"GARDENLINUX",-12} {"KERNEL",-28} {"DRIVER",-12} {"VERSION",-12} {"TYPE",-12} {"ARCH",-6} {"SIZE",10} CREATED");
                    foreach (var row in rows)
                    {
                        await Console.Out.WriteLineAsync(
                            $"{row.GardenlinuxVersion,-12} {row.KernelRelease,-28} {row.Driver,-12} {row.Version,-12} {row.ModuleType,-12} {row.Arch,-6} {row.Size / 1048576.0,8:F1}Mi {row.CreatedAt:yyyy-MM-dd HH:mm}");
                    }

                    foreach (var row in broken)
                    {
                        await Console.Out.WriteLineAsync($"BROKEN       {row.Manifest}: {row.Error}");
                    }
                }

                return broken.Count == 0 ? ExitCodes.Success : throw new ModulusException($"{broken.Count} manifest(s) in {artifactStore.Location} could not be read (listed as BROKEN)");
            },
            cancellationToken));
        return command;
    }

    /// <summary>The --gardenlinux-version, --driver-version and --kernel-version filters, also applied to the keys of unreadable entries.</summary>
    private sealed record Filter(string? Gardenlinux, string? DriverVersion, string? Kernel)
    {
        /// <summary>The store prefix that holds every match (docs/store.md): one Garden Linux version, one kernel.</summary>
        public string Prefix => Gardenlinux is null ? string.Empty : Kernel is null ? StoreLayout.GardenlinuxPrefix(Gardenlinux) : StoreLayout.KernelPrefix(Gardenlinux, Kernel);

        public bool Matches(Manifest m) =>
            (Gardenlinux is null || m.GardenlinuxVersion == Gardenlinux) && (Kernel is null || m.KernelRelease == Kernel) && (DriverVersion is null || m.Driver.Version == DriverVersion);

        public bool MatchesKey(string key)
        {
            return StoreLayout.ParseManifestKey(key) is not { } parts
                || ((Gardenlinux is null || parts.GardenlinuxVersion == Gardenlinux)
                    && (Kernel is null || parts.KernelRelease == Kernel)
                    && (DriverVersion is null || parts.ArtifactName.Contains($"-{DriverVersion}-", StringComparison.Ordinal)));
        }
    }

    internal sealed record ListRow(string GardenlinuxVersion, string KernelRelease, string Driver, string Version, string ModuleType, string Arch, long Size, DateTimeOffset CreatedAt, string Manifest, string? Signer,
        string? BlobSha256, string? Compression, BuildInfo Build);

    internal sealed record BrokenRow(string Manifest, string Error);
}
