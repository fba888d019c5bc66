using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Modulus.Kubernetes;

internal sealed partial class KubernetesClient
{
    public Task SetUnschedulableAsync(string node, bool unschedulable, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, $"/api/v1/nodes/{Uri.EscapeDataString(node)}", new JsonObject { ["spec"] = new JsonObject { ["unschedulable"] = unschedulable } }.ToJsonString(),
            "application/merge-patch+json", $"{(unschedulable ? "cordon" : "uncordon")} node {node}", cancellationToken);

    public async Task<IReadOnlyList<NodePod>> ListPodsAsync(string node, CancellationToken cancellationToken)
    {
        var selector = Uri.EscapeDataString($"spec.nodeName={node},status.phase!=Succeeded,status.phase!=Failed");
        var body = await SendAsync(HttpMethod.Get, $"/api/v1/pods?fieldSelector={selector}", null, null, $"list the pods on node {node}", cancellationToken);
        return [.. (JsonNode.Parse(body)?["items"]?.AsArray() ?? []).Select(item => new NodePod(
            (string?)item!["metadata"]!["namespace"] ?? "default",
            (string?)item["metadata"]!["name"] ?? string.Empty,
            (item["spec"]?["containers"]?.AsArray() ?? []).Concat(item["spec"]?["initContainers"]?.AsArray() ?? [])
                .Any(c => c?["resources"]?["limits"]?["nvidia.com/gpu"] is not null || c?["resources"]?["requests"]?["nvidia.com/gpu"] is not null),
            (item["metadata"]!["ownerReferences"]?.AsArray() ?? []).Any(o => (string?)o?["kind"] == "DaemonSet")))];
    }

    public async Task<bool> EvictPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var eviction = new JsonObject
        {
            ["apiVersion"] = "policy/v1", ["kind"] = "Eviction",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        };
        try
        {
            await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(name)}/eviction", eviction.ToJsonString(),
                "application/json", $"evict pod {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
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
        var path = $"/apis/coordination.k8s.io/v1/namespaces/{Uri.EscapeDataString(ns)}/leases";
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        JsonNode? existing;
        try
        {
            existing = JsonNode.Parse(await SendAsync(HttpMethod.Get, $"{path}/{Uri.EscapeDataString(name)}", null, null, $"read lease {ns}/{name}", cancellationToken));
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            existing = null;
        }

        var spec = new JsonObject
        {
            ["holderIdentity"] = holder, ["leaseDurationSeconds"] = (int)duration.TotalSeconds, ["acquireTime"] = now, ["renewTime"] = now,
        };
        try
        {
            if (existing is null)
            {
                var lease = new JsonObject { ["apiVersion"] = "coordination.k8s.io/v1", ["kind"] = "Lease", ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns }, ["spec"] = spec };
                await SendAsync(HttpMethod.Post, path, lease.ToJsonString(), "application/json", $"create lease {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
                return true;
            }

            var current = (string?)existing["spec"]?["holderIdentity"];
            var renewed = DateTimeOffset.TryParse((string?)existing["spec"]?["renewTime"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue;
            var seconds = (int?)existing["spec"]?["leaseDurationSeconds"] ?? 0;
            if (!string.IsNullOrEmpty(current) && current != holder && renewed.AddSeconds(seconds) > DateTimeOffset.UtcNow)
            {
                return false; // held by another node
            }

            existing["spec"] = spec; // metadata.resourceVersion stays: the update fails with 409 if someone was faster
            await SendAsync(HttpMethod.Put, $"{path}/{Uri.EscapeDataString(name)}", existing.ToJsonString(), "application/json", $"take lease {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
            return true;
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    public async Task ReleaseLeaseAsync(string ns, string name, string holder, CancellationToken cancellationToken)
    {
        var path = $"/apis/coordination.k8s.io/v1/namespaces/{Uri.EscapeDataString(ns)}/leases/{Uri.EscapeDataString(name)}";
        try
        {
            var existing = JsonNode.Parse(await SendAsync(HttpMethod.Get, path, null, null, $"read lease {ns}/{name}", cancellationToken))!;
            if ((string?)existing["spec"]?["holderIdentity"] != holder)
            {
                return;
            }

            existing["spec"]!["holderIdentity"] = null;
            await SendAsync(HttpMethod.Put, path, existing.ToJsonString(), "application/json", $"release lease {ns}/{name}", cancellationToken, conflictsAreAnswers: true);
        }
        catch (KubernetesApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }
}
