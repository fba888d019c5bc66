using System.Text.Json;
using System.Text.Json.Nodes;
using Modulus.Kubernetes;

namespace Modulus.Fleet;

/// <summary>A node as coverage sees it: its Garden Linux version (os-version label), kernel, and the driver it runs or wants.</summary>
internal sealed record FleetNode(string Name, string? GardenlinuxVersion, string? Kernel, string? DriverVersion)
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
        return [.. items.Select(item => new FleetNode(
            (string?)item?["metadata"]?["name"] ?? "?",
            (string?)item?["metadata"]?["labels"]?[NodeReporter.OsVersionLabel],
            (string?)item?["status"]?["nodeInfo"]?["kernelVersion"],
            (string?)item?["metadata"]?["labels"]?[NodeReporter.VersionLabel]))];
    }
}
