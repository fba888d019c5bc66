using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Kubernetes;
using Modulus.Upgrade;

namespace Modulus.Commands;

/// <summary><c>install</c>'s in-place upgrade options (the chart's <c>upgradePolicy</c>), and the upgrader they make.</summary>
internal sealed class UpgradeOptions
{
    private readonly Option<bool> inPlace = new("--in-place-upgrade") { Description = "When another version is in use: cordon, evict GPU pods, upgrade, validate, uncordon (needs --node-name)" };
    private readonly Option<int> maxParallel = new("--max-parallel-upgrades") { Description = "Nodes of the pool upgrading at once", DefaultValueFactory = _ => 1 };
    private readonly Option<double> waitForJobs = new("--upgrade-wait-for-jobs") { Description = "Seconds to let GPU pods finish before evicting them (0: evict at once)", DefaultValueFactory = _ => 0 };
    private readonly Option<double> podDeletion = new("--upgrade-pod-deletion-timeout") { Description = "Seconds evicted GPU pods may take to go", DefaultValueFactory = _ => 300 };
    private readonly Option<bool> drain = new("--upgrade-drain") { Description = "Also drain the node (every pod no DaemonSet owns)" };
    private readonly Option<double> drainTimeout = new("--upgrade-drain-timeout") { Description = "Seconds the drain may take", DefaultValueFactory = _ => 300 };
    private readonly Option<string?> slotNamespace = new("--upgrade-slot-namespace") { Description = "Namespace of the upgrade-slot Leases (default: POD_NAMESPACE, else kube-system)" };
    private readonly Option<string> slotPrefix = new("--upgrade-slot-prefix") { Description = "Name prefix of the upgrade-slot Leases, one set per node pool", DefaultValueFactory = _ => "modulus-upgrade" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { inPlace, maxParallel, waitForJobs, podDeletion, drain, drainTimeout, slotNamespace, slotPrefix })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The upgrader, or null when in-place upgrades are off; they need the node's name and the API.</summary>
    public InPlaceUpgrader? Create(ParseResult parsed, INodeApi? api, string? node, ILogger logger)
    {
        if (!parsed.GetValue(inPlace))
        {
            return null;
        }

        if (api is not IUpgradeApi upgradeApi || string.IsNullOrEmpty(node))
        {
            throw new InvalidInputException("--in-place-upgrade needs --node-name (MODULUS_NODE_NAME) and the Kubernetes API (a service account token or --kubeconfig)");
        }

        var parallel = parsed.GetValue(maxParallel);
        if (parallel is < 1 or > 1000)
        {
            throw new InvalidInputException($"--max-parallel-upgrades {parallel} is not valid: expected 1 to 1000");
        }

        var policy = new UpgradePolicy
        {
            MaxParallelUpgrades = parallel,
            LeaseNamespace = parsed.GetValue(slotNamespace) ?? Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "kube-system",
            LeasePrefix = parsed.GetValue(slotPrefix)!,
            WaitForJobsTimeout = Seconds(parsed.GetValue(waitForJobs), "--upgrade-wait-for-jobs", allowZero: true),
            PodDeletionTimeout = Seconds(parsed.GetValue(podDeletion), "--upgrade-pod-deletion-timeout"),
            Drain = parsed.GetValue(drain),
            DrainTimeout = Seconds(parsed.GetValue(drainTimeout), "--upgrade-drain-timeout"),
        };
        return new InPlaceUpgrader(api, upgradeApi, node, policy, logger);
    }

    private static TimeSpan Seconds(double value, string option, bool allowZero = false) =>
        (allowZero ? value >= 0 : value > 0) && value <= 86400
            ? TimeSpan.FromSeconds(value)
            : throw new InvalidInputException($"{option} {value} is not valid: expected seconds, {(allowZero ? "0" : "more than 0")} to 86400");
}
