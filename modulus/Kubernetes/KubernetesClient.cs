using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Polly;

namespace Modulus.Kubernetes;

/// <summary>
/// A small typed Kubernetes client over HttpClient: bearer token, the cluster's CA, JSON merge patches.
/// Conflicts, throttling, server errors and transport failures are retried with capped exponential backoff and
/// jitter; a 403 is reported at once with what the service account needs.
/// </summary>
internal sealed partial class KubernetesClient : INodeApi, IUpgradeApi, IDisposable
{
    private readonly KubernetesClientOptions options;
    private readonly HttpClient http;
    private readonly ResiliencePipeline retry;
    private readonly ResiliencePipeline retryButConflicts;

    public KubernetesClient(KubernetesClientOptions options, ILogger logger)
    {
        this.options = options;
        var handler = new SocketsHttpHandler();
        if (options.CertificateAuthority is { } ca)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(ca, certificate, errors);
        }

        http = new HttpClient(handler) { BaseAddress = options.Server, Timeout = TimeSpan.FromSeconds(30) };
        retry = Retries.Create(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay,
            e => e is KubernetesApiException { Status: 0 or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests } or KubernetesApiException { Status: >= HttpStatusCode.InternalServerError },
            logger, "Kubernetes API call");

        // Leases use optimistic concurrency: a 409 is an answer (someone else took it), not a transient failure.
        retryButConflicts = Retries.Create(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay,
            e => e is KubernetesApiException { Status: 0 or HttpStatusCode.TooManyRequests } or KubernetesApiException { Status: >= HttpStatusCode.InternalServerError },
            logger, "Kubernetes API call");
    }

    /// <summary>Trusts exactly the certificates that chain to the cluster CA and match the host name.</summary>
    public static bool IsTrusted(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetNodeLabelsAsync(string node, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Get, $"/api/v1/nodes/{Uri.EscapeDataString(node)}", null, null, $"read node {node}", cancellationToken);
        var labels = JsonNode.Parse(body)?["metadata"]?["labels"]?.AsObject();
        return labels is null
            ? new Dictionary<string, string>()
            : labels.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal);
    }

    public Task<string> ListNodesJsonAsync(string? labelSelector, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "/api/v1/nodes" + (string.IsNullOrEmpty(labelSelector) ? string.Empty : "?labelSelector=" + Uri.EscapeDataString(labelSelector)), null, null, "list nodes", cancellationToken);

    public Task PatchNodeLabelsAsync(string node, IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)(l.Value is null ? null : JsonValue.Create(l.Value))))) } };
        return SendAsync(HttpMethod.Patch, $"/api/v1/nodes/{Uri.EscapeDataString(node)}", patch.ToJsonString(), "application/merge-patch+json", $"label node {node}", cancellationToken);
    }

    public Task PatchNodeConditionAsync(string node, NodeConditionUpdate condition, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = condition.Type,
                    ["status"] = condition.Status ? "True" : "False",
                    ["reason"] = condition.Reason,
                    ["message"] = condition.Message.Length <= 1024 ? condition.Message : condition.Message[..1024],
                    ["lastHeartbeatTime"] = now,
                    ["lastTransitionTime"] = now,
                }),
            },
        };
        return SendAsync(HttpMethod.Patch, $"/api/v1/nodes/{Uri.EscapeDataString(node)}/status", patch.ToJsonString(), "application/strategic-merge-patch+json",
            $"set the {condition.Type} condition of node {node}", cancellationToken);
    }

    public Task CreateNodeEventAsync(string node, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["generateName"] = node + ".modulus-", ["namespace"] = options.EventNamespace },
            ["involvedObject"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = node, ["uid"] = node },
            ["type"] = type,
            ["reason"] = reason,
            ["message"] = message.Length <= 1024 ? message : message[..1024],
            ["source"] = new JsonObject { ["component"] = "modulus", ["host"] = node },
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
        };
        return SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(options.EventNamespace)}/events", ev.ToJsonString(), "application/json", $"record an event on node {node}", cancellationToken);
    }

    public void Dispose() => http.Dispose();

    private Task<string> SendAsync(HttpMethod method, string path, string? body, string? contentType, string what, CancellationToken cancellationToken, bool conflictsAreAnswers = false) =>
        (conflictsAreAnswers ? retryButConflicts : retry).ExecuteAsync(
            async token =>
            {
                using var request = new HttpRequestMessage(method, path);
                if (options.Token() is { Length: > 0 } bearer)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                }

                if (body is not null)
                {
                    request.Content = new StringContent(body, Encoding.UTF8);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
                }

                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request, token);
                }
                catch (HttpRequestException e)
                {
                    throw new KubernetesApiException($"cannot {what}: the API server {options.Server} is not reachable ({e.Message})", 0, e);
                }
                catch (TaskCanceledException e) when (!token.IsCancellationRequested)
                {
                    throw new KubernetesApiException($"cannot {what}: the API server {options.Server} did not answer in time", 0, e);
                }

                using (response)
                {
                    var text = await response.Content.ReadAsStringAsync(token);
                    if (response.IsSuccessStatusCode)
                    {
                        return text;
                    }

                    throw new KubernetesApiException(Describe(response.StatusCode, text, what), response.StatusCode);
                }
            },
            cancellationToken).AsTask();

    private static string Describe(HttpStatusCode status, string body, string what)
    {
        string? message = null;
        try
        {
            message = JsonNode.Parse(body)?["message"]?.GetValue<string>();
        }
        catch (JsonException)
        {
        }

        var text = $"the Kubernetes API refused to {what}: {(int)status} {status}{(message is null ? string.Empty : ": " + message)}";
        return status switch
        {
            HttpStatusCode.Forbidden => text + ". The pod's service account needs get and patch on nodes, patch on nodes/status and create on events (the chart's ClusterRole grants them).",
            HttpStatusCode.Unauthorized => text + ". The service account token was not accepted; check that it is mounted and not expired.",
            _ => text,
        };
    }
}
