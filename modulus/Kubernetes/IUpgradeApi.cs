namespace Modulus.Kubernetes;

/// <summary>The API calls of an in-place driver upgrade (docs/kubernetes.md): cordon, the node's pods, eviction, slots.</summary>
internal interface IUpgradeApi
{
    /// <summary>Cordons (true) or uncordons (false) the node: <c>spec.unschedulable</c>.</summary>
    Task SetUnschedulableAsync(string node, bool unschedulable, CancellationToken cancellationToken);

    /// <summary>The pods bound to the node that have not finished, with whether they use <c>nvidia.com/gpu</c>.</summary>
    Task<IReadOnlyList<NodePod>> ListPodsAsync(string node, CancellationToken cancellationToken);

    /// <summary>Evicts a pod through the Eviction API (PodDisruptionBudgets apply); false when a budget refuses for now.</summary>
    Task<bool> EvictPodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Takes the Lease <paramref name="name"/> for <paramref name="holder"/> when it is free, expired or held by it already.</summary>
    Task<bool> TryAcquireLeaseAsync(string ns, string name, string holder, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the Lease up if <paramref name="holder"/> holds it.</summary>
    Task ReleaseLeaseAsync(string ns, string name, string holder, CancellationToken cancellationToken);
}

/// <summary>A pod on the node: whether it requests GPUs, and whether a DaemonSet owns it (drains leave those).</summary>
internal sealed record NodePod(string Namespace, string Name, bool UsesGpu, bool DaemonSet);
