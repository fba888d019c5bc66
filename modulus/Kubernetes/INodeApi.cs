namespace Modulus.Kubernetes;

/// <summary>
/// The node calls Modulus makes. <see cref="KubernetesClient"/> implements them on the KubernetesClient library;
/// tests implement them with fakes, and prove the payloads against a stand-in API server on loopback.
/// </summary>
internal interface INodeApi
{
    /// <summary>The node's labels; throws <see cref="KubernetesApiException"/> when it cannot be read.</summary>
    Task<IReadOnlyDictionary<string, string>> GetNodeLabelsAsync(string node, CancellationToken cancellationToken);

    /// <summary>The node's annotations; throws <see cref="KubernetesApiException"/> when it cannot be read.</summary>
    Task<IReadOnlyDictionary<string, string>> GetNodeAnnotationsAsync(string node, CancellationToken cancellationToken);

    /// <summary>Sets labels and annotations in one JSON merge patch (a null value removes one).</summary>
    Task PatchNodeMetadataAsync(string node, IReadOnlyDictionary<string, string?> labels, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken);

    /// <summary>Every node (matching <paramref name="labelSelector"/> when given), as <c>GET /api/v1/nodes</c> returns them.</summary>
    Task<string> ListNodesJsonAsync(string? labelSelector, CancellationToken cancellationToken);

    /// <summary>Sets labels (a null value removes the label) with a JSON merge patch.</summary>
    Task PatchNodeLabelsAsync(string node, IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken);

    /// <summary>
    /// Sets one condition in the node's status (a strategic merge patch of <c>nodes/&lt;node&gt;/status</c>; conditions
    /// merge by type, so other conditions stay as they are).
    /// </summary>
    Task PatchNodeConditionAsync(string node, NodeConditionUpdate condition, CancellationToken cancellationToken);

    /// <summary>Records an Event about the node (type Normal or Warning).</summary>
    Task CreateNodeEventAsync(string node, string type, string reason, string message, CancellationToken cancellationToken);
}

/// <summary>A node condition as Modulus sets it: <c>NvidiaDriverReady</c> True or False, with a reason and message.</summary>
internal sealed record NodeConditionUpdate(string Type, bool Status, string Reason, string Message);
