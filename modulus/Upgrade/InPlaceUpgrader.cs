using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Install;
using Modulus.Kubernetes;

namespace Modulus.Upgrade;

/// <summary>
/// One node's in-place driver upgrade, as the GPU Operator does it (docs/kubernetes.md): take one of
/// <see cref="UpgradePolicy.MaxParallelUpgrades"/> slots → cordon → wait for GPU jobs → evict GPU pods (→ drain) →
/// the install swaps the driver and validates it → uncordon → done. Every transition sets the state label
/// (<see cref="UpgradeStates"/>) and records an Event. A failure leaves the node cordoned, in state
/// <c>upgrade-failed</c> with the reason, and keeps its slot (its Lease is then held for <see cref="HeldAfterFailure"/>,
/// until this node's next upgrade completes or an operator deletes the Lease), so a bad version stops the rollout
/// instead of spreading over the pool. While held, the slot is renewed at every step and every poll of a wait; a
/// renewal that finds the slot taken by another node fails the upgrade.
/// </summary>
internal sealed class InPlaceUpgrader(INodeApi nodes, IUpgradeApi api, string node, UpgradePolicy policy, ILogger logger) : IUpgradeGate
{
    // Fields, not captured parameters: the sessions below use them.
    private readonly INodeApi nodes = nodes;
    private readonly IUpgradeApi api = api;
    private readonly string node = node;
    private readonly UpgradePolicy policy = policy;
    private readonly ILogger logger = logger;

    /// <summary>How long a failed node's Lease lasts: for good, in practice (an int32 of seconds, as Leases store it).</summary>
    public static readonly TimeSpan HeldAfterFailure = TimeSpan.FromDays(3650);

    public string Node => node;

    public async Task<IUpgradeSession> BeginAsync(string from, string to, CancellationToken cancellationToken)
    {
        var labels = await nodes.GetNodeLabelsAsync(node, cancellationToken);
        if (labels.GetValueOrDefault(NodeLabels.UpgradeSkip) == "true")
        {
            throw new ModulusException(
                $"driver {from} is in use on node {node}, and the node has {NodeLabels.UpgradeSkip}=true: it is not upgraded in place. Remove the label to let it upgrade, or roll {to} out with a new node pool.",
                ExitCodes.DriverInUse);
        }

        var session = new Session(this, to);
        try
        {
            await session.PrepareAsync(from, cancellationToken);
            return session;
        }
        catch (ModulusException e) when (e.ExitCode != ExitCodes.DriverInUse)
        {
            await session.FailAsync(e.Message, CancellationToken.None);
            throw;
        }
    }

    /// <summary>The upgrade of this node to one version: the slot it holds, and the transitions.</summary>
    private sealed class Session(InPlaceUpgrader upgrader, string to) : IUpgradeSession
    {
        private string? slot;

        public async Task PrepareAsync(string from, CancellationToken cancellationToken)
        {
            await StateAsync(UpgradeStates.Required, $"driver {from} is loaded and in use; upgrading to {to} in place", cancellationToken);
            slot = await upgrader.TakeSlotAsync(cancellationToken);
            await StateAsync(UpgradeStates.CordonRequired, $"took upgrade slot {slot}", cancellationToken);
            await upgrader.api.SetUnschedulableAsync(upgrader.node, true, cancellationToken);
            await StateAsync(UpgradeStates.WaitForJobsRequired, "cordoned", cancellationToken);
            var policy = upgrader.policy;
            if (policy.WaitForJobsTimeout > TimeSpan.Zero)
            {
                await upgrader.WaitUntilGoneAsync(p => p.UsesGpu && !p.DaemonSet, policy.WaitForJobsTimeout, evict: false, "GPU jobs to finish", RenewAsync, cancellationToken, failOnTimeout: false);
            }

            await StateAsync(UpgradeStates.PodDeletionRequired, "evicting the pods that use nvidia.com/gpu", cancellationToken);
            await upgrader.WaitUntilGoneAsync(p => p.UsesGpu && !p.DaemonSet, policy.PodDeletionTimeout, evict: true, "GPU pods to be evicted", RenewAsync, cancellationToken);
            if (policy.Drain)
            {
                await StateAsync(UpgradeStates.DrainRequired, "draining the node", cancellationToken);
                await upgrader.WaitUntilGoneAsync(p => !p.DaemonSet, policy.DrainTimeout, evict: true, "the node to drain", RenewAsync, cancellationToken);
            }

            await StateAsync(UpgradeStates.InProgress, $"swapping driver {from} for {to}", cancellationToken);
        }

        public async Task CompleteAsync(CancellationToken cancellationToken)
        {
            await StateAsync(UpgradeStates.UncordonRequired, $"driver {to} is live and validated", cancellationToken);
            await upgrader.api.SetUnschedulableAsync(upgrader.node, false, cancellationToken);
            await StateAsync(UpgradeStates.Done, $"upgraded to {to}; uncordoned", cancellationToken);
            if (slot is not null)
            {
                await upgrader.api.ReleaseLeaseAsync(upgrader.policy.LeaseNamespace, slot, upgrader.node, cancellationToken);
            }
        }

        public async Task FailAsync(string reason, CancellationToken cancellationToken)
        {
            var ns = upgrader.policy.LeaseNamespace;
            try
            {
                if (slot is not null)
                {
                    // Held until released: a lapsing Lease would let the next node upgrade to the same bad version.
                    await upgrader.api.TryAcquireLeaseAsync(ns, slot, upgrader.node, HeldAfterFailure, cancellationToken);
                }

                var release = slot is null ? string.Empty : $" It keeps upgrade slot {ns}/{slot} until its next upgrade completes, or until you delete that Lease (kubectl -n {ns} delete lease {slot}).";
                await StateAsync(UpgradeStates.Failed, $"{reason} The node stays cordoned.{release} Fix the cause, then uncordon the node and remove the {NodeLabels.UpgradeState} label.", cancellationToken, warning: true);
            }
            catch (KubernetesApiException e)
            {
                upgrader.logger.LogError("Could not record the failed upgrade on node {Node}: {Error}", upgrader.node, e.Message);
            }
        }

        /// <summary>Renews the slot; fails the upgrade when another node holds it now (it lapsed while this one was away).</summary>
        private async Task RenewAsync(CancellationToken cancellationToken)
        {
            var policy = upgrader.policy;
            if (slot is not null && !await upgrader.api.TryAcquireLeaseAsync(policy.LeaseNamespace, slot, upgrader.node, policy.SlotLease, cancellationToken))
            {
                var lost = slot;
                slot = null; // not ours any more: the failure must not claim it
                throw new ModulusException(
                    $"node {upgrader.node} lost upgrade slot {policy.LeaseNamespace}/{lost}: another node holds it now (the Lease was not renewed within {policy.SlotLease.TotalMinutes:F0} min). " +
                    "The upgrade stops here so that no more nodes upgrade at once than upgradePolicy allows.");
            }
        }

        private async Task StateAsync(string state, string message, CancellationToken cancellationToken, bool warning = false)
        {
            upgrader.logger.Log(warning ? LogLevel.Error : LogLevel.Information, "Node {Node} upgrade: {State} ({Message})", upgrader.node, state, message);
            if (!warning)
            {
                await RenewAsync(cancellationToken);
            }

            await upgrader.nodes.PatchNodeLabelsAsync(upgrader.node, new Dictionary<string, string?> { [NodeLabels.UpgradeState] = state }, cancellationToken);
            await upgrader.nodes.CreateNodeEventAsync(upgrader.node, warning ? "Warning" : "Normal", "NvidiaDriverUpgrade", $"{state}: {message}", cancellationToken);
        }
    }

    private async Task<string> TakeSlotAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + policy.SlotTimeout;
        while (true)
        {
            for (var i = 0; i < policy.MaxParallelUpgrades; i++)
            {
                var name = $"{policy.LeasePrefix}-{i}";
                if (await api.TryAcquireLeaseAsync(policy.LeaseNamespace, name, node, policy.SlotLease, cancellationToken))
                {
                    return name;
                }
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new ModulusException($"no upgrade slot came free within {policy.SlotTimeout.TotalMinutes:F0} min ({policy.MaxParallelUpgrades} node(s) upgrade at once, Leases {policy.LeaseNamespace}/{policy.LeasePrefix}-*); the node was not touched");
            }

            logger.LogInformation("All {Slots} upgrade slot(s) are taken; node {Node} waits", policy.MaxParallelUpgrades, node);
            await Task.Delay(policy.PollInterval, cancellationToken);
        }
    }

    private async Task WaitUntilGoneAsync(Func<NodePod, bool> which, TimeSpan timeout, bool evict, string what, Func<CancellationToken, Task> renew, CancellationToken cancellationToken, bool failOnTimeout = true)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            await renew(cancellationToken);
            var left = (await api.ListPodsAsync(node, cancellationToken)).Where(which).ToList();
            if (left.Count == 0)
            {
                return;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                if (!failOnTimeout)
                {
                    logger.LogInformation("Waited {Seconds:F0} s for {What} on node {Node}; {Count} still run, evicting them", timeout.TotalSeconds, what, node, left.Count);
                    return;
                }

                throw new ModulusException($"waited {timeout.TotalSeconds:F0} s for {what} on node {node}; still there: {string.Join(", ", left.Select(p => p.Namespace + "/" + p.Name))}");
            }

            if (evict)
            {
                foreach (var pod in left)
                {
                    if (!await api.EvictPodAsync(pod.Namespace, pod.Name, cancellationToken))
                    {
                        logger.LogInformation("A PodDisruptionBudget holds {Pod} on node {Node} for now", pod.Namespace + "/" + pod.Name, node);
                    }
                }
            }

            await Task.Delay(policy.PollInterval, cancellationToken);
        }
    }
}
