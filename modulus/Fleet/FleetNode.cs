using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Modulus.Kubernetes;

namespace Modulus.Fleet;

/// <summary>
/// A node as coverage sees it: its Garden Linux version, kernel, and the driver it runs or wants. The version is what
/// the kubelet reports, <c>status.nodeInfo.osImage</c> ("Garden Linux 1877.3", PRETTY_NAME of the node's
/// os-release), else the <c>os-version</c> label (set by some node pools; Gardener does not), else the version
/// Modulus last installed for (<see cref="NodeLabels.GardenlinuxVersion"/>); the kernel is <c>status.nodeInfo.kernelVersion</c>.
/// </summary>
internal sealed partial record FleetNode(string Name, string? GardenlinuxVersion, string? Kernel, string? DriverVersion, string? OsImage = null)
{
    /// <summary>Nodes of a NodeList (<c>GET /api/v1/nodes</c>, or <c>kubectl get nodes -o json</c> saved to a file).</summary>
    public static IReadOnlyList<FleetNode> Parse(string nodeListJson, string source)
    {
        JsonNode? list;
        try
        {
            list = JsonNode.Parse(nodeListJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a NodeList (kubectl get nodes -o json): {e.Message}", e);
        }

        var items = list?["items"]?.AsArray() ?? throw new InvalidDataException($"{source} is not a NodeList: it has no items");
        return [.. items.Select(item =>
        {
            var labels = item?["metadata"]?["labels"];
            var osImage = (string?)item?["status"]?["nodeInfo"]?["osImage"];
            return new FleetNode(
                (string?)item?["metadata"]?["name"] ?? "?",
                GardenlinuxVersionOf(osImage) ?? (string?)labels?[NodeLabels.OsVersion] ?? (string?)labels?[NodeLabels.GardenlinuxVersion],
                (string?)item?["status"]?["nodeInfo"]?["kernelVersion"],
                (string?)labels?[NodeLabels.DriverVersion],
                osImage);
        })];
    }

    /// <summary>"1877.3" of "Garden Linux 1877.3"; null for another OS image.</summary>
    public static string? GardenlinuxVersionOf(string? osImage) =>
        osImage is not null && OsImagePattern().Match(osImage) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"^Garden Linux (\d+\.\d+(?:\.\d+)?)\b")]
    private static partial Regex OsImagePattern();
}
