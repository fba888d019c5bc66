using Microsoft.Extensions.Logging;

namespace Modulus.Kubernetes;

/// <summary>
/// Tells Kubernetes about the driver on this node: labels GPU workloads and the device plugin can wait for, and
/// Events for install success and failure. API failures are logged (after the client's retries), never thrown:
/// they must not fail an otherwise successful install.
/// </summary>
internal sealed class NodeReporter(INodeApi api, string node, ILogger logger)
{
    public const string VersionLabel = "modulus.gardenlinux.io/nvidia-driver-version";
    public const string ReadyLabel = "modulus.gardenlinux.io/nvidia-driver-ready";
    public const string OsVersionLabel = "os-version";

    public string Node { get; } = node;

    public Task ReportInstalledAsync(string version, string message, CancellationToken cancellationToken) => BestEffortAsync("report the install", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [VersionLabel] = version, [ReadyLabel] = "true" }, cancellationToken);
        await api.CreateNodeEventAsync(Node, "Normal", "NvidiaDriverInstalled", message, cancellationToken);
    });

    public Task ReportFailedAsync(string reason, string message, CancellationToken cancellationToken) => BestEffortAsync("report the failure", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [ReadyLabel] = null }, cancellationToken);
        await api.CreateNodeEventAsync(Node, "Warning", reason, message, cancellationToken);
    });

    /// <summary>The node has no NVIDIA GPU: nothing was loaded, the ready label says false.</summary>
    public Task ReportNoGpuAsync(string message, CancellationToken cancellationToken) => BestEffortAsync("report the missing GPU", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [ReadyLabel] = "false" }, cancellationToken);
        await api.CreateNodeEventAsync(Node, "Warning", "NvidiaGpuNotFound", message, cancellationToken);
    });

    /// <summary>The driver is no longer live: the ready label goes.</summary>
    public Task ReportGoneAsync(string why, CancellationToken cancellationToken) => BestEffortAsync("remove the ready label", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [ReadyLabel] = null }, cancellationToken);
        await api.CreateNodeEventAsync(Node, "Warning", "NvidiaDriverNotReady", why, cancellationToken);
    });

    /// <summary>The node's <c>os-version</c> label, or null when it has none or the API cannot tell.</summary>
    public async Task<string?> GardenlinuxVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await api.GetNodeLabelsAsync(Node, cancellationToken)).GetValueOrDefault(OsVersionLabel);
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not read node {Node}'s labels: {Error}", Node, e.Message);
            return null;
        }
    }

    public async Task<bool> IsLabelledReadyAsync(CancellationToken cancellationToken) =>
        (await api.GetNodeLabelsAsync(Node, cancellationToken)).GetValueOrDefault(ReadyLabel) == "true";

    private async Task BestEffortAsync(string what, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not {What} to Kubernetes for node {Node}: {Error}", what, Node, e.Message);
        }
    }
}
