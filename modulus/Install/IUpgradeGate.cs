namespace Modulus.Install;

/// <summary>
/// How an install that finds another driver version in use may take the node out of service to replace it (the
/// chart's upgradePolicy; <c>Upgrade/InPlaceUpgrader</c> implements it). Without a gate such an install exits 4.
/// </summary>
internal interface IUpgradeGate
{
    /// <summary>
    /// Takes the node out of service for the swap from <paramref name="from"/> to <paramref name="to"/> (slot, cordon,
    /// GPU pods evicted); throws (exit 4) when the node may not be upgraded in place. A failure once the node was
    /// touched leaves it marked failed before the exception comes out.
    /// </summary>
    Task<IUpgradeSession> BeginAsync(string from, string to, CancellationToken cancellationToken);
}

/// <summary>One node's upgrade, once it is out of service.</summary>
internal interface IUpgradeSession
{
    /// <summary>The new driver is live and validated: back into service.</summary>
    Task CompleteAsync(CancellationToken cancellationToken);

    /// <summary>The upgrade failed: the node stays out of service, marked failed with <paramref name="reason"/>. Never throws.</summary>
    Task FailAsync(string reason, CancellationToken cancellationToken);
}
