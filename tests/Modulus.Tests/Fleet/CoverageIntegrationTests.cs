using System.Text.Json;
using System.Text.Json.Nodes;
using Modulus.Core.Artifacts;
using Modulus.Storage;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Fleet;

/// <summary>`modulus coverage` as a real process: the store's manifests joined with nodes from a file or the API stand-in.</summary>
public sealed class CoverageIntegrationTests : IAsyncLifetime
{
    private readonly TempDirectory dir = new();
    private readonly KubernetesApiStandIn api = new();

    public async Task InitializeAsync()
    {
        foreach (var (kernel, type) in new[] { ("6.6.62-cloud-amd64", "open"), ("6.6.62-cloud-amd64", "proprietary"), ("6.6.70-cloud-amd64", "open") })
        {
            var bare = new Manifest
            {
                Driver = new DriverInfo("nvidia", "580.1.2", ModuleTypes.Parse(type), DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = kernel, Arch = "amd64",
                Files = [], Modules = [], Build = new BuildInfo("t", "t", "gcc", DateTimeOffset.UnixEpoch, 1), CreatedAt = DateTimeOffset.UnixEpoch,
            };
            var sha = new string('0', 64);
            var manifest = bare with { Blob = new BlobInfo(StoreLayout.BlobKey(bare.Key, sha, "gzip"), sha, 1, "gzip") }; // never fetched: coverage reads manifests only
            var path = Path.Combine(dir.Combine("store"), StoreLayout.ArtifactPrefix(manifest.Key), Manifest.FileName);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, ManifestFile.Serialize(manifest));
        }

        foreach (var node in Nodes())
        {
            api.NodeList.Add(node.DeepClone());
        }
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        dir.Dispose();
    }

    // As the kubelet reports a node (status.nodeInfo), with an os-version label only where a node pool sets one.
    private static JsonNode Node(string name, string osImage, string? osVersionLabel, string kernel, string? driver)
    {
        var labels = new JsonObject { ["worker.gardener.cloud/pool"] = "gpu" };
        if (osVersionLabel is not null)
        {
            labels["os-version"] = osVersionLabel;
        }

        if (driver is not null)
        {
            labels["modulus.gardenlinux.io/nvidia-driver-version"] = driver;
        }

        var nodeInfo = new JsonObject { ["osImage"] = osImage, ["kernelVersion"] = kernel, ["operatingSystem"] = "linux", ["architecture"] = "amd64" };
        return new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels }, ["status"] = new JsonObject { ["nodeInfo"] = nodeInfo } };
    }

    // gpu-a and gpu-b as Gardener's nodes are: no os-version label, the version only in nodeInfo.osImage. gpu-c has
    // an image the kubelet names otherwise, and the label. cpu-1 is not Garden Linux.
    private static JsonNode[] Nodes() =>
    [
        Node("gpu-a", "Garden Linux 1877.3", null, "6.6.62-cloud-amd64", "580.1.2"), Node("gpu-b", "Garden Linux 1877.3", null, "6.6.62-cloud-amd64", "580.1.2"),
        Node("gpu-c", "Debian GNU/Linux", "1877.3", "6.6.63-cloud-amd64", "580.1.2"), Node("cpu-1", "Ubuntu 22.04.4 LTS", null, "6.1.0-57-amd64", null),
    ];

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Lists_what_the_nodes_need_that_the_store_lacks_and_exits_3()
    {
        var file = dir.Combine("nodes.json");
        await File.WriteAllTextAsync(file, new JsonObject { ["kind"] = "NodeList", ["items"] = new JsonArray(Nodes()) }.ToJsonString());

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["coverage", "--store", "file://" + dir.Combine("store"), "--nodes-file", file]);

        code.Should().Be(3, run.Output);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain(l => l.StartsWith("1877.3", StringComparison.Ordinal) && l.Contains("6.6.62-cloud-amd64") && l.Contains("    2  open,proprietary"));
        lines.Should().Contain(l => l.Contains("6.6.63-cloud-amd64") && l.Contains("MISSING: the store has no nvidia-580.1.2 for Garden Linux 1877.3, kernel 6.6.63-cloud-amd64"));
        lines.Should().Contain(l => l.Contains("MISSING: the node reports no Garden Linux version (status.nodeInfo.osImage is \"Ubuntu 22.04.4 LTS\", and it has no os-version label)"));
        lines[^1].Should().Be($"1 of 3 covered, 2 node(s) without an artifact in file://{dir.Combine("store")}");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Reads_the_nodes_from_the_api_and_checks_a_wanted_version_and_module_type_as_json()
    {
        var kubeconfig = await api.WriteKubeconfigAsync(dir.Combine("kubeconfig"), "fleet");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["coverage", "--store", "file://" + dir.Combine("store"), "--kubeconfig", kubeconfig,
            "--selector", "worker.gardener.cloud/pool=gpu", "--driver-version", "580.1.2", "--module-type", "proprietary", "--json"]);

        code.Should().Be(3, run.Output);
        api.Requests.Should().Contain(r => r.Path.StartsWith("/api/v1/nodes?labelSelector=worker.gardener.cloud%2Fpool%3Dgpu", StringComparison.Ordinal));
        var rows = JsonNode.Parse(run.Stdout)!.AsArray();
        var ok = rows.Single(r => (string?)r!["kernel"] == "6.6.62-cloud-amd64")!;
        ((bool)ok["covered"]!).Should().BeTrue();
        ok["nodes"]!.AsArray().Select(n => (string?)n).Should().Equal(["gpu-a", "gpu-b"], "their version came from nodeInfo.osImage alone");
        ((string?)ok["gardenlinuxVersion"]).Should().Be("1877.3");
        ((bool)rows.Single(r => (string?)r!["kernel"] == "6.6.63-cloud-amd64")!["covered"]!).Should().BeFalse();
        run.Stdout.Should().NotContain("\"covered\": true,\n    \"missing\": \"");
        JsonSerializer.Deserialize<JsonElement>(run.Stdout).GetArrayLength().Should().Be(3);
    }

    [Theory]
    [InlineData("Garden Linux 1877.3", "1877.3")]
    [InlineData("Garden Linux 2150.8.0", "2150.8.0")]
    [InlineData("Garden Linux 1592.14 (aws)", "1592.14")]
    [InlineData("Ubuntu 22.04.4 LTS", null)]
    [InlineData("Garden Linux today", null)]
    [InlineData("", null)]
    public void Reads_the_version_of_the_kubelets_os_image(string osImage, string? expected) =>
        Modulus.Fleet.FleetNode.GardenlinuxVersionOf(osImage).Should().Be(expected);
}
