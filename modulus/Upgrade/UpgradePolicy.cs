namespace Modulus.Upgrade;

/// <summary>
/// In-place upgrades (chart <c>upgradePolicy</c>, the GPU Operator's semantics): with it, an install that finds
/// another driver version in use takes the node out of service and upgrades it instead of exiting 4.
/// </summary>
internal sealed record UpgradePolicy
{
    /// <summary>At most this many nodes of the pool upgrade at once (slots are Leases <c>&lt;prefix&gt;-0</c> … <c>-N-1</c>).</summary>
    public int MaxParallelUpgrades { get; init; } = 1;

    public required string LeaseNamespace { get; init; }

    public required string LeasePrefix { get; init; }

    /// <summary>How long to wait for GPU pods to finish on their own before evicting them; zero: evict at once.</summary>
    public TimeSpan WaitForJobsTimeout { get; init; }

    /// <summary>How long evicted GPU pods may take to go.</summary>
    public TimeSpan PodDeletionTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Also drain the node: evict every pod a DaemonSet does not own.</summary>
    public bool Drain { get; init; }

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait for a free upgrade slot.</summary>
    public TimeSpan SlotTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How often pods, slots and the driver's users are looked at while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A slot is held this long without renewal before others may take it (the upgrade renews it at each step).</summary>
    public TimeSpan SlotLease { get; init; } = TimeSpan.FromMinutes(30);
}
