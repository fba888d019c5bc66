using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Polly;

namespace Modulus.Kubernetes;

/// <summary>
/// The node calls Modulus makes, on the KubernetesClient library (<see cref="k8s.Kubernetes"/>), under Modulus' retry
/// policy: conflicts, throttling, server errors and transport failures are retried with capped exponential backoff
/// and jitter; a 401 or 403 is reported at once with what the service account needs.
/// </summary>
internal sealed partial class KubernetesClient : INodeApi, IUpgradeApi, IDisposable
{
    private readonly KubernetesClientOptions options;
    private readonly k8s.Kubernetes api;
    private readonly ResiliencePipeline retry;
    private readonly ResiliencePipeline retryButConflicts;

    public KubernetesClient(KubernetesClientOptions options, ILogger logger)
    {
        this.options = options;
        api = new k8s.Kubernetes(options.Configuration);
        retry = Retries.Create(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay,
            e => e is KubernetesApiException { Status: 0 or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests } or KubernetesApiException { Status: >= HttpStatusCode.InternalServerError },
            logger, "Kubernetes API call");

        // Leases use optimistic concurrency: a 409 is an answer (someone else took it), not a transient failure.
        retryButConflicts = Retries.Create(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay,
            e => e is KubernetesApiException { Status: 0 or HttpStatusCode.TooManyRequests } or KubernetesApiException { Status: >= HttpStatusCode.InternalServerError },
            logger, "Kubernetes API call");
    }

    public async Task<IReadOnlyDictionary<string, string>> GetNodeLabelsAsync(string node, CancellationToken cancellationToken)
    {
        var read = await CallAsync(token => api.CoreV1.ReadNodeAsync(node, cancellationToken: token), $"read node {node}", cancellationToken);
        return read.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : new Dictionary<string, string>();
    }

    public async Task<string> ListNodesJsonAsync(string? labelSelector, CancellationToken cancellationToken)
    {
        var list = await CallAsync(token => api.CoreV1.ListNodeAsync(labelSelector: string.IsNullOrEmpty(labelSelector) ? null : labelSelector, cancellationToken: token),
            "list nodes", cancellationToken);
        return KubernetesJson.Serialize(list);
    }

    public Task PatchNodeLabelsAsync(string node, IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken) =>
        PatchMetadataAsync(node, new JsonObject { ["labels"] = Map(labels) }, $"label node {node}", cancellationToken);

    public async Task<IReadOnlyDictionary<string, string>> GetNodeAnnotationsAsync(string node, CancellationToken cancellationToken)
    {
        var read = await CallAsync(token => api.CoreV1.ReadNodeAsync(node, cancellationToken: token), $"read node {node}", cancellationToken);
        return read.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations, StringComparer.Ordinal) : new Dictionary<string, string>();
    }

    public Task PatchNodeMetadataAsync(string node, IReadOnlyDictionary<string, string?> labels, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken) =>
        PatchMetadataAsync(node, new JsonObject { ["labels"] = Map(labels), ["annotations"] = Map(annotations) }, $"label and annotate node {node}", cancellationToken);

    /// <summary>A JSON merge patch of the node's metadata: a null value removes the key, which the typed models cannot say.</summary>
    private Task PatchMetadataAsync(string node, JsonObject metadata, string what, CancellationToken cancellationToken)
    {
        var patch = new JsonObject { ["metadata"] = metadata }.ToJsonString(); // once: every attempt sends the same
        return CallAsync(token => api.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), node, cancellationToken: token), what, cancellationToken);
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string?> values) =>
        new(values.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)(l.Value is null ? null : JsonValue.Create(l.Value)))));

    public Task PatchNodeConditionAsync(string node, NodeConditionUpdate condition, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var patch = KubernetesJson.Serialize(new V1Node
        {
            Status = new V1NodeStatus
            {
                Conditions =
                [
                    new V1NodeCondition
                    {
                        Type = condition.Type, Status = condition.Status ? "True" : "False", Reason = condition.Reason,
                        Message = Truncate(condition.Message), LastHeartbeatTime = now, LastTransitionTime = now,
                    },
                ],
            },
        }); // a string: the AOT-safe client sends a patch body only as JSON text
        return CallAsync(token => api.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), node, cancellationToken: token),
            $"set the {condition.Type} condition of node {node}", cancellationToken);
    }

    public Task CreateNodeEventAsync(string node, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { GenerateName = node + ".modulus-", NamespaceProperty = options.EventNamespace },
            InvolvedObject = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node, Uid = node },
            Type = type,
            Reason = reason,
            Message = Truncate(message),
            Source = new V1EventSource { Component = "modulus", Host = node },
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        return CallAsync(token => api.CoreV1.CreateNamespacedEventAsync(ev, options.EventNamespace, cancellationToken: token), $"record an event on node {node}", cancellationToken);
    }

    public void Dispose() => api.Dispose();

    private static string Truncate(string message) => message.Length <= 1024 ? message : message[..1024];

    /// <summary>One API call under the retry policy, its failures as <see cref="KubernetesApiException"/> with what was tried.</summary>
    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken, bool conflictsAreAnswers = false) =>
        await (conflictsAreAnswers ? retryButConflicts : retry).ExecuteAsync(
            async token =>
            {
                try
                {
                    return await call(token);
                }
                catch (HttpOperationException e)
                {
                    throw new KubernetesApiException(Describe(e.Response.StatusCode, e.Response.Content, what), e.Response.StatusCode, e);
                }
                catch (HttpRequestException e)
                {
                    throw new KubernetesApiException($"cannot {what}: the API server {options.Server} is not reachable ({e.Message})", 0, e);
                }
                catch (TaskCanceledException e) when (!token.IsCancellationRequested)
                {
                    throw new KubernetesApiException($"cannot {what}: the API server {options.Server} did not answer in time", 0, e);
                }
                catch (Exception e) when (e is KubeConfigException or KubernetesClientException)
                {
                    // an exec credential plugin or auth provider failed: no request was sent
                    throw new KubernetesApiException($"cannot {what}: no credentials for {options.Server}: {e.Message}", HttpStatusCode.Unauthorized, e);
                }
            },
            cancellationToken);

    private Task CallAsync(Func<CancellationToken, Task> call, string what, CancellationToken cancellationToken, bool conflictsAreAnswers = false) =>
        CallAsync(async token => { await call(token); return true; }, what, cancellationToken, conflictsAreAnswers);

    private static string Describe(HttpStatusCode status, string? body, string what)
    {
        string? message = null;
        try
        {
            message = body is null ? null : JsonNode.Parse(body)?["message"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
        }

        var text = $"the Kubernetes API refused to {what}: {(int)status} {status}{(message is null ? string.Empty : ": " + message)}";
        return status switch
        {
            HttpStatusCode.Forbidden => text + ". The pod's service account needs get and patch on nodes, patch on nodes/status and create on events (the chart's ClusterRole grants them).",
            HttpStatusCode.Unauthorized => text + ". The credentials were not accepted: check that the service account token is mounted and not expired, or that the kubeconfig's user can log in.",
            _ => text,
        };
    }
}
