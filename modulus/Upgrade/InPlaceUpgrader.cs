using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Kubernetes;

namespace Modulus.Upgrade;

/// <summary>
/// One node's in-place driver upgrade, as the GPU Operator does it (docs/kubernetes.md): take one of
/// <see cref="UpgradePolicy.MaxParallelUpgrades"/> slots → cordon → wait for GPU jobs → evict GPU pods (→ drain) →
/// the install swaps the driver and validates it → uncordon → done. Every transition sets the state label and
/// records an Event. A failure leaves the node cordoned, in state <c>upgrade-failed</c> with the reason, and keeps
/// its slot, so a bad version stops the rollout instead of spreading over the pool.
/// </summary>
internal sealed class InPlaceUpgrader(INodeApi nodes, IUpgradeApi api, string node, UpgradePolicy policy, ILogger logger)
{
    public const string StateLabel = "modulus.gardenlinux.io/nvidia-driver-upgrade-state";
    public const string SkipLabel = "modulus.gardenlinux.io/nvidia-driver-upgrade.skip";

    private string? slot;

    public string Node => node;

    /// <summary>Takes the node out of service for the swap from <paramref name="from"/> to <paramref name="to"/>; throws (exit 4) when it may not.</summary>
    public async Task PrepareAsync(string from, string to, CancellationToken cancellationToken)
    {
        var labels = await nodes.GetNodeLabelsAsync(node, cancellationToken);
        if (labels.GetValueOrDefault(SkipLabel) == "true")
        {
            throw new ModulusException(
                $"driver {from} is in use on node {node}, and the node has {SkipLabel}=true: it is not upgraded in place. Remove the label to let it upgrade, or roll {to} out with a new node pool.",
                ExitCodes.DriverInUse);
        }

        await StateAsync("upgrade-required", $"driver {from} is loaded and in use; upgrading to {to} in place", cancellationToken);
        slot = await TakeSlotAsync(cancellationToken);
        await StateAsync("cordon-required", $"took upgrade slot {slot}", cancellationToken);
        await api.SetUnschedulableAsync(node, true, cancellationToken);
        await StateAsync("wait-for-jobs-required", "cordoned", cancellationToken);
        if (policy.WaitForJobsTimeout > TimeSpan.Zero)
        {
            await WaitUntilGoneAsync(p => p.UsesGpu && !p.DaemonSet, policy.WaitForJobsTimeout, evict: false, "GPU jobs to finish", cancellationToken, failOnTimeout: false);
        }

        await StateAsync("pod-deletion-required", "evicting the pods that use nvidia.com/gpu", cancellationToken);
        await WaitUntilGoneAsync(p => p.UsesGpu && !p.DaemonSet, policy.PodDeletionTimeout, evict: true, "GPU pods to be evicted", cancellationToken);
        if (policy.Drain)
        {
            await StateAsync("drain-required", "draining the node", cancellationToken);
            await WaitUntilGoneAsync(p => !p.DaemonSet, policy.DrainTimeout, evict: true, "the node to drain", cancellationToken);
        }

        await StateAsync("upgrade-in-progress", $"swapping driver {from} for {to}", cancellationToken);
    }

    /// <summary>The new driver is live and validated: back into service.</summary>
    public async Task CompleteAsync(string to, CancellationToken cancellationToken)
    {
        await StateAsync("uncordon-required", $"driver {to} is live and validated", cancellationToken);
        await api.SetUnschedulableAsync(node, false, cancellationToken);
        await StateAsync("upgrade-done", $"upgraded to {to}; uncordoned", cancellationToken);
        if (slot is not null)
        {
            await api.ReleaseLeaseAsync(policy.LeaseNamespace, slot, node, cancellationToken);
        }
    }

    /// <summary>The upgrade failed after the node was taken out of service: it stays cordoned, with the reason.</summary>
    public async Task FailAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            await StateAsync("upgrade-failed", $"{reason} The node stays cordoned and keeps upgrade slot {slot ?? "-"}; fix the cause, then uncordon it and remove the {StateLabel} label.", cancellationToken, warning: true);
        }
        catch (KubernetesApiException e)
        {
            logger.LogError("Could not record the failed upgrade on node {Node}: {Error}", node, e.Message);
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

    private async Task StateAsync(string state, string message, CancellationToken cancellationToken, bool warning = false)
    {
        logger.Log(warning ? LogLevel.Error : LogLevel.Information, "Node {Node} upgrade: {State} ({Message})", node, state, message);
        if (slot is not null && !warning)
        {
            await api.TryAcquireLeaseAsync(policy.LeaseNamespace, slot, node, policy.SlotLease, cancellationToken); // renews it
        }

        await nodes.PatchNodeLabelsAsync(node, new Dictionary<string, string?> { [StateLabel] = state }, cancellationToken);
        await nodes.CreateNodeEventAsync(node, warning ? "Warning" : "Normal", "NvidiaDriverUpgrade", $"{state}: {message}", cancellationToken);
    }
}
