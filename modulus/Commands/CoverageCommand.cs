using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Commands.Options;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Core.Validation;
using Modulus.Distribution;
using Modulus.Fleet;
using Modulus.Kubernetes;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus coverage</c>: what the node pools need that the store does not hold (exit 3 when anything is missing).</summary>
internal static class CoverageCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var nodesFile = new Option<string?>("--nodes-file") { Description = "Nodes from a file (kubectl get nodes -o json) instead of the Kubernetes API" };
        var kubernetes = new KubernetesOptions(string.Empty);
        var selector = new Option<string?>("--selector") { Description = "Only nodes with these labels (a label selector, e.g. gpu=true)" };
        var driverVersion = new Option<string?>("--driver-version") { Description = "The driver the nodes should run (default: each node's nvidia-driver-version label)" };
        var driverName = new Option<string>("--driver-name") { Description = "Driver or module set name", DefaultValueFactory = _ => DriverKinds.NvidiaName };
        var moduleType = new Option<string?>("--module-type") { Description = "Count only this module type as covering (open or proprietary)" };
        var json = new Option<bool>("--json") { Description = "One JSON array on stdout" };
        var store = new StoreOptions(getVariable);
        var command = new Command("coverage", "Join the store's artifacts with the nodes' Garden Linux version, kernel and driver: list what is missing")
        {
            nodesFile, selector, driverVersion, driverName, moduleType, json,
        };
        kubernetes.AddTo(command, withNodeName: false);
        store.AddTo(command);
        store.Store.Required = true;
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var wanted = parsed.GetValue(driverVersion) is { } v ? InputValidator.DriverVersion(v) : null;
                var type = parsed.GetValue(moduleType) is { } t ? ModuleTypes.Parse(t, moduleType.Name) : (ModuleType?)null;
                var name = InputValidator.DriverName(parsed.GetValue(driverName));
                var nodes = await ReadNodesAsync(parsed.GetValue(nodesFile), kubernetes.Bind(parsed).Kubeconfig, parsed.GetValue(selector), loggers, token);
                using var artifactStore = store.Open(parsed, loggers)!;
                var fetcher = new Fetcher(artifactStore, loggers.CreateLogger<Fetcher>());
                var held = (await new StoreCatalog(artifactStore, fetcher, loggers.CreateLogger<StoreCatalog>()).ReadAllAsync(string.Empty, token))
                    .Select(e => e.Manifest).OfType<Manifest>().ToList();
                var rows = Coverage.Compute(nodes, held, name, wanted, type);
                if (parsed.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(rows, CommandJson.Info<IReadOnlyList<CoverageRow>>(CommandJson.Indented)));
                }
                else
                {
                    await Console.Out.WriteLineAsync($"{"GARDENLINUX",-12} {"KERNEL",-28} {"DRIVER",-12} {"NODES",5}  {"IN STORE",-20} ");
                    foreach (var row in rows)
                    {
                        await Console.Out.WriteLineAsync($"{row.GardenlinuxVersion ?? "-",-12} {row.Kernel ?? "-",-28} {row.DriverVersion ?? "-",-12} {row.NodeCount,5}  " +
                            (row.Covered ? string.Join(",", row.ModuleTypes) : "MISSING: " + row.Missing));
                    }

                    await Console.Out.WriteLineAsync($"{rows.Count(r => r.Covered)} of {rows.Count} covered, {rows.Where(r => !r.Covered).Sum(r => r.NodeCount)} node(s) without an artifact in {artifactStore.Location}");
                }

                return rows.All(r => r.Covered) ? ExitCodes.Success : ExitCodes.NotInStore;
            },
            cancellationToken));
        return command;
    }

    private static async Task<IReadOnlyList<FleetNode>> ReadNodesAsync(string? file, string? kubeconfig, string? selector, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                throw new InvalidInputException($"--nodes-file {file} does not exist; write it with: kubectl get nodes -o json > {file}");
            }

            try
            {
                return FleetNode.Parse(await File.ReadAllTextAsync(file, cancellationToken), file);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidInputException(e.Message);
            }
        }

        using var api = KubernetesClientFactory.TryCreate(kubeconfig, loggers.CreateLogger<KubernetesClient>())
            ?? throw new InvalidInputException("coverage needs nodes: pass --nodes-file (kubectl get nodes -o json), or run where a kubeconfig or service account token is found");
        return FleetNode.Parse(await api.ListNodesJsonAsync(selector, cancellationToken), "the Kubernetes API's node list");
    }
}
