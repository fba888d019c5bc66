using System.CommandLine;
using Modulus.Upgrade;

namespace Modulus.Commands.Options;

/// <summary><c>install</c>'s in-place upgrade options (the chart's <c>upgradePolicy</c>), bound into an <see cref="UpgradePolicy"/>.</summary>
internal sealed class UpgradeOptions
{
    private const double MaxSeconds = 86400;

    public Option<bool> InPlace { get; } = new("--in-place-upgrade") { Description = "When another version is in use: cordon, evict GPU pods, upgrade, validate, uncordon (needs --node-name)" };

    public Option<int> MaxParallel { get; } = new("--max-parallel-upgrades") { Description = "Nodes of the pool upgrading at once", DefaultValueFactory = _ => 1 };

    public Option<double> WaitForJobs { get; } = new("--upgrade-wait-for-jobs") { Description = "Seconds to let GPU pods finish before evicting them (0: evict at once)", DefaultValueFactory = _ => 0 };

    public Option<double> PodDeletion { get; } = new("--upgrade-pod-deletion-timeout") { Description = "Seconds evicted GPU pods may take to go", DefaultValueFactory = _ => 300 };

    public Option<bool> Drain { get; } = new("--upgrade-drain") { Description = "Also drain the node (every pod no DaemonSet owns)" };

    public Option<double> DrainTimeout { get; } = new("--upgrade-drain-timeout") { Description = "Seconds the drain may take", DefaultValueFactory = _ => 300 };

    public Option<string?> SlotNamespace { get; } = new Option<string?>("--upgrade-slot-namespace") { Description = "Namespace of the upgrade-slot Leases (default: the pod's namespace, else kube-system)" }
        .FallsBackTo("POD_NAMESPACE");

    public Option<string> SlotPrefix { get; } = new("--upgrade-slot-prefix") { Description = "Name prefix of the upgrade-slot Leases, one set per node pool", DefaultValueFactory = _ => "modulus-upgrade" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { InPlace, MaxParallel, WaitForJobs, PodDeletion, Drain, DrainTimeout, SlotNamespace, SlotPrefix })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The policy, or null when in-place upgrades are off.</summary>
    public UpgradePolicy? Bind(ParseResult parsed) => !parsed.GetValue(InPlace) ? null : new UpgradePolicy
    {
        MaxParallelUpgrades = parsed.Count(MaxParallel, 1, 1000),
        LeaseNamespace = parsed.GetValue(SlotNamespace) ?? "kube-system",
        LeasePrefix = parsed.GetValue(SlotPrefix)!,
        WaitForJobsTimeout = parsed.Seconds(WaitForJobs, MaxSeconds, allowZero: true),
        PodDeletionTimeout = parsed.Seconds(PodDeletion, MaxSeconds),
        Drain = parsed.GetValue(Drain),
        DrainTimeout = parsed.Seconds(DrainTimeout, MaxSeconds),
    };
}
