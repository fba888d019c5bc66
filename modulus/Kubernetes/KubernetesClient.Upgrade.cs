using System.Net;
using k8s;
using k8s.Models;

namespace Modulus.Kubernetes;

internal sealed partial class KubernetesClient
{
    public Task SetUnschedulableAsync(string node, bool unschedulable, CancellationToken cancellationToken) =>
        CallAsync(token => api.CoreV1.PatchNodeAsync(new V1Patch(KubernetesJson.Serialize(new V1Node { Spec = new V1NodeSpec { Unschedulable = unschedulable } }), V1Patch.PatchType.MergePatch), node, cancellationToken: token),
            $"{(unschedulable ? "cordon" : "uncordon")} node {node}", cancellationToken);

    public async Task<IReadOnlyList<NodePod>> ListPodsAsync(string node, CancellationToken cancellationToken)
    {
        var pods = await CallAsync(token => api.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"spec.nodeName={node},status.phase!=Succeeded,status.phase!=Failed", cancellationToken: token),
            $"list the pods on node {node}", cancellationToken);
        return [.. pods.Items.Select(pod => new NodePod(
            pod.Metadata?.NamespaceProperty ?? "default",
            pod.Metadata?.Name ?? string.Empty,
            (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).Any(UsesGpu),
            (pod.Metadata?.OwnerReferences ?? []).Any(o => o.Kind == "DaemonSet")))];

        static bool UsesGpu(V1Container c) =>
            c.Resources?.Limits?.ContainsKey("nvidia.com/gpu") == true || c.Resources?.Requests?.ContainsKey("nvidia.com/gpu") == true;
    }

    public async Task<bool> EvictPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var eviction = new V1Eviction { ApiVersion = "policy/v1", Kind = "Eviction", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } };
        try
        {
            await CallAsync(token => api.CoreV1.CreateNamespacedPodEvictionAsync(eviction, name, ns, cancellationToken: token), $"evict pod {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
            return true;
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.TooManyRequests)
        {
            return false; // a PodDisruptionBudget says not now
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return true; // gone already
        }
    }

    public async Task<bool> TryAcquireLeaseAsync(string ns, string name, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        var existing = await ReadLeaseAsync(ns, name, cancellationToken);
        var now = DateTime.UtcNow;
        var spec = new V1LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = (int)duration.TotalSeconds, AcquireTime = now, RenewTime = now };
        try
        {
            if (existing is null)
            {
                var lease = new V1Lease { ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, Spec = spec };
                await CallAsync(token => api.CoordinationV1.CreateNamespacedLeaseAsync(lease, ns, cancellationToken: token), $"create lease {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
                return true;
            }

            var current = existing.Spec?.HolderIdentity;
            var renewed = existing.Spec?.RenewTime is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
            if (!string.IsNullOrEmpty(current) && current != holder && renewed.AddSeconds(existing.Spec?.LeaseDurationSeconds ?? 0) > DateTimeOffset.UtcNow)
            {
                return false; // held by another node
            }

            existing.Spec = spec; // metadata.resourceVersion stays: the update fails with 409 if someone was faster
            await CallAsync(token => api.CoordinationV1.ReplaceNamespacedLeaseAsync(existing, name, ns, cancellationToken: token), $"take lease {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
            return true;
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    public async Task ReleaseLeaseAsync(string ns, string name, string holder, CancellationToken cancellationToken)
    {
        try
        {
            var existing = await ReadLeaseAsync(ns, name, cancellationToken);
            if (existing?.Spec?.HolderIdentity != holder)
            {
                return;
            }

            existing.Spec.HolderIdentity = null;
            await CallAsync(token => api.CoordinationV1.ReplaceNamespacedLeaseAsync(existing, name, ns, cancellationToken: token), $"release lease {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
        }
        catch (KubernetesApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }

    private async Task<V1Lease?> ReadLeaseAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync(token => api.CoordinationV1.ReadNamespacedLeaseAsync(name, ns, cancellationToken: token), $"read lease {ns}/{name}", cancellationToken);
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
