namespace Modulus.Kubernetes;

/// <summary>This node's name (for labels, the condition and Events) and the kubeconfig to use outside a pod.</summary>
internal sealed record KubernetesSettings(string? NodeName, string? Kubeconfig);
