using Microsoft.Extensions.Logging;

namespace Modulus.Kubernetes;

/// <summary>
/// Tells Kubernetes about the driver on this node: labels GPU workloads and the device plugin can wait for, the
/// <c>NvidiaDriverReady</c> node condition, and Events for install success and failure. API failures are logged (after the client's retries), never thrown:
/// they must not fail an otherwise successful install.
/// </summary>
internal sealed class NodeReporter(INodeApi api, string node, ILogger logger)
{
    public string Node { get; } = node;

    /// <summary>
    /// The driver is live: labels (with the Garden Linux version it was installed for, where known), the condition
    /// True, an Event. False when the API could not be told.
    /// </summary>
    public Task<bool> ReportInstalledAsync(string version, string? gardenlinuxVersion, string message, CancellationToken cancellationToken) => BestEffortAsync("report the install", async () =>
    {
        var labels = new Dictionary<string, string?> { [NodeLabels.DriverVersion] = version, [NodeLabels.DriverReady] = "true" };
        if (gardenlinuxVersion is not null)
        {
            labels[NodeLabels.GardenlinuxVersion] = gardenlinuxVersion;
        }

        await api.PatchNodeLabelsAsync(Node, labels, cancellationToken);
        await api.PatchNodeConditionAsync(Node, new NodeConditionUpdate(NodeLabels.ReadyCondition, true, "NvidiaDriverLive", message), cancellationToken);
        await api.CreateNodeEventAsync(Node, "Normal", "NvidiaDriverInstalled", message, cancellationToken);
    });

    public Task<bool> ReportFailedAsync(string reason, string message, CancellationToken cancellationToken) => BestEffortAsync("report the failure", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [NodeLabels.DriverReady] = null }, cancellationToken);
        await api.PatchNodeConditionAsync(Node, new NodeConditionUpdate(NodeLabels.ReadyCondition, false, reason, message), cancellationToken);
        await api.CreateNodeEventAsync(Node, "Warning", reason, message, cancellationToken);
    });

    /// <summary>The node has no NVIDIA GPU: nothing was loaded, the ready label says false.</summary>
    public Task<bool> ReportNoGpuAsync(string message, CancellationToken cancellationToken) => BestEffortAsync("report the missing GPU", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [NodeLabels.DriverReady] = "false" }, cancellationToken);
        await api.PatchNodeConditionAsync(Node, new NodeConditionUpdate(NodeLabels.ReadyCondition, false, "NvidiaGpuNotFound", message), cancellationToken);
        await api.CreateNodeEventAsync(Node, "Warning", "NvidiaGpuNotFound", message, cancellationToken);
    });

    /// <summary>The driver is no longer live: the ready label goes, the condition says False and why.</summary>
    public Task<bool> ReportGoneAsync(string why, CancellationToken cancellationToken) => BestEffortAsync("remove the ready label", async () =>
    {
        await api.PatchNodeLabelsAsync(Node, new Dictionary<string, string?> { [NodeLabels.DriverReady] = null }, cancellationToken);
        await api.PatchNodeConditionAsync(Node, new NodeConditionUpdate(NodeLabels.ReadyCondition, false, "NvidiaDriverNotReady", why), cancellationToken);
        await api.CreateNodeEventAsync(Node, "Warning", "NvidiaDriverNotReady", why, cancellationToken);
    });

    /// <summary>An operator's value disagreed with the node and was ignored (a Warning Event, once per install).</summary>
    public Task<bool> ReportSettingIgnoredAsync(string message, CancellationToken cancellationToken) => BestEffortAsync("report the ignored setting",
        () => api.CreateNodeEventAsync(Node, "Warning", "NvidiaInstallerSettingIgnored", message, cancellationToken));

    /// <summary>The node's <c>os-version</c> label, or null when it has none or the API cannot tell.</summary>
    public async Task<string?> GardenlinuxVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await api.GetNodeLabelsAsync(Node, cancellationToken)).GetValueOrDefault(NodeLabels.OsVersion);
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not read node {Node}'s labels: {Error}", Node, e.Message);
            return null;
        }
    }

    /// <summary>Runs the calls; an API failure (after the client's retries) is logged and returns false, never thrown.</summary>
    private async Task<bool> BestEffortAsync(string what, Func<Task> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not {What} to Kubernetes for node {Node}: {Error}", what, Node, e.Message);
            return false;
        }
    }
}
