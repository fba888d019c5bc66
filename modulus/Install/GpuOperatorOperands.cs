using Microsoft.Extensions.Logging;
using Modulus.Kubernetes;

namespace Modulus.Install;

/// <summary>
/// The GPU Operator's operands on this node, through its own switch: <c>nvidia.com/gpu.deploy.operands=false</c>
/// makes the operator take every operand DaemonSet's pod off the node, and the label's old value (or its absence)
/// lets them back. The old value is kept in an annotation on the node, so that a restarted installer or the watch
/// container restores exactly what an operator had set (an admin's own "false" stays). API failures are logged,
/// never thrown: the driver install must not fail because the operator could not be told.
/// </summary>
internal sealed class GpuOperatorOperands(INodeApi api, string node, ILogger logger) : IDriverConsumers
{
    private const string NoLabel = "-"; // not a valid label value, so it cannot be one that was there

    public async Task StopAsync(string why, CancellationToken cancellationToken)
    {
        try
        {
            var annotations = await api.GetNodeAnnotationsAsync(node, cancellationToken);
            if (annotations.ContainsKey(NodeLabels.GpuDeployOperandsBefore))
            {
                await api.PatchNodeLabelsAsync(node, new Dictionary<string, string?> { [NodeLabels.GpuDeployOperands] = "false" }, cancellationToken);
                return;
            }

            var before = (await api.GetNodeLabelsAsync(node, cancellationToken)).GetValueOrDefault(NodeLabels.GpuDeployOperands);
            logger.LogInformation("Taking the GPU Operator's operands off node {Node} ({Label}=false, was {Before}): {Why}", node, NodeLabels.GpuDeployOperands, before ?? "unset", why);
            await api.PatchNodeMetadataAsync(node,
                new Dictionary<string, string?> { [NodeLabels.GpuDeployOperands] = "false" },
                new Dictionary<string, string?> { [NodeLabels.GpuDeployOperandsBefore] = before ?? NoLabel },
                cancellationToken);
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not take the GPU Operator's operands off node {Node} ({Error}); its toolkit and device plugin may keep the old driver's files", node, e.Message);
        }
    }

    public async Task ResumeAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!(await api.GetNodeAnnotationsAsync(node, cancellationToken)).TryGetValue(NodeLabels.GpuDeployOperandsBefore, out var before))
            {
                return;
            }

            var restored = before == NoLabel ? null : before;
            logger.LogInformation("Letting the GPU Operator's operands back onto node {Node} ({Label} {Restored})", node, NodeLabels.GpuDeployOperands, restored is null ? "removed, as before" : "=" + restored);
            await api.PatchNodeMetadataAsync(node,
                new Dictionary<string, string?> { [NodeLabels.GpuDeployOperands] = restored },
                new Dictionary<string, string?> { [NodeLabels.GpuDeployOperandsBefore] = null },
                cancellationToken);
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not let the GPU Operator's operands back onto node {Node} ({Error}); set {Label} as it was by hand", node, e.Message, NodeLabels.GpuDeployOperands);
        }
    }
}
