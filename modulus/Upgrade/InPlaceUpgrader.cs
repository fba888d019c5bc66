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
/// <c>upgrade-failed</c> with the reason, and keeps its slot, so a bad version stops the rollout instead of
/// spreading over the pool.
/// </summary>
internal sealed class InPlaceUpgrader(INodeApi nodes, IUpgradeApi api, string node, UpgradePolicy policy, ILogger logger) : IUpgradeGate
{
    // Fields, not captured parameters: the sessions below use them.
    private readonly INodeApi nodes = nodes;
    private readonly IUpgradeApi api = api;
    private readonly string node = node;
    private readonly UpgradePolicy policy = policy;
    private readonly ILogger logger = logger;

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
                await upgrader.WaitUntilGoneAsync(p => p.UsesGpu && !p.DaemonSet, policy.WaitForJobsTimeout, evict: false, "GPU jobs to finish", cancellationToken, failOnTimeout: false);
            }

            await StateAsync(UpgradeStates.PodDeletionRequired, "evicting the pods that use nvidia.com/gpu", cancellationToken);
            await upgrader.WaitUntilGoneAsync(p => p.UsesGpu && !p.DaemonSet, policy.PodDeletionTimeout, evict: true, "GPU pods to be evicted", cancellationToken);
            if (policy.Drain)
            {
                await StateAsync(UpgradeStates.DrainRequired, "draining the node", cancellationToken);
                await upgrader.WaitUntilGoneAsync(p => !p.DaemonSet, policy.DrainTimeout, evict: true, "the node to drain", cancellationToken);
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
            try
            {
                await StateAsync(UpgradeStates.Failed, $"{reason} The node stays cordoned and keeps upgrade slot {slot ?? "-"}; fix the cause, then uncordon it and remove the {NodeLabels.UpgradeState} label.", cancellationToken, warning: true);
            }
            catch (KubernetesApiException e)
            {
                upgrader.logger.LogError("Could not record the failed upgrade on node {Node}: {Error}", upgrader.node, e.Message);
            }
        }

        private async Task StateAsync(string state, string message, CancellationToken cancellationToken, bool warning = false)
        {
            upgrader.logger.Log(warning ? LogLevel.Error : LogLevel.Information, "Node {Node} upgrade: {State} ({Message})", upgrader.node, state, message);
            if (slot is not null && !warning)
            {
                await upgrader.api.TryAcquireLeaseAsync(upgrader.policy.LeaseNamespace, slot, upgrader.node, upgrader.policy.SlotLease, cancellationToken); // renews it
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

    private async Task WaitUntilGoneAsync(Func<NodePod, bool> which, TimeSpan timeout, bool evict, string what, CancellationToken cancellationToken, bool failOnTimeout = true)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
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
