using System.Text.Json.Nodes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Chart;

/// <summary>
/// `make compiler-pod`'s runner (.ci/compiler-pod/pod-from-chart.cjs, real node) on the chart as real helm renders it:
/// the pod podman plays is the rendered pod template, changed only where podman 4.3 differs from the kubelet.
/// </summary>
public sealed class CompilerPodRunnerIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_sidecar_form_becomes_a_pod_whose_dev_container_starts_first_with_everything_else_as_rendered()
    {
        var (template, pod, said) = await RenderAndConvert("--set", "debug=false", "--set", "hostCachePath=/srv/cache");

        var rendered = template["spec"]!["template"]!["spec"]!;
        ((string?)pod["kind"]).Should().Be("Pod");
        var spec = pod["spec"]!;
        spec["initContainers"].Should().BeNull("podman 4.3 would run the native sidecar to completion before modulus starts");
        spec["containers"]!.AsArray().Select(c => (string?)c!["name"]).Should().Equal("dev", "modulus");
        ((string?)spec["restartPolicy"]).Should().Be("Never");
        var dev = spec["containers"]![0]!;
        var renderedDev = rendered["initContainers"]![0]!;
        ((string?)renderedDev["restartPolicy"]).Should().Be("Always");
        dev["restartPolicy"].Should().BeNull();
        Same(dev["command"], renderedDev["command"]).Should().BeTrue();
        Same(dev["env"], renderedDev["env"]).Should().BeTrue();
        dev["volumeMounts"]!.AsArray().Should().Contain(m => (string?)m!["mountPath"] == "/out" && (string?)m["name"] == "cache-build" && m["subPath"] == null);
        spec["volumes"]!.AsArray().Should().Contain(v => (string?)v!["name"] == "cache-build" && (string?)v["hostPath"]!["path"] == "/srv/cache/build");
        var modulus = spec["containers"]![1]!;
        var renderedModulus = rendered["containers"]![0]!;
        Same(modulus["command"], renderedModulus["command"]).Should().BeTrue();
        Same(modulus["volumeMounts"], renderedModulus["volumeMounts"]).Should().BeTrue();
        var nodeName = modulus["env"]!.AsArray().Single(e => (string?)e!["name"] == "MODULUS_NODE_NAME")!;
        ((string?)nodeName["value"]).Should().Be(System.Net.Dns.GetHostName());
        nodeName["valueFrom"].Should().BeNull();
        said.Should().Contain("native sidecar(s) dev -> regular container(s), started first").And.Contain("spec.nodeName").And.Contain("ignores subPath");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_debug_form_keeps_both_main_containers_and_a_build_matrix_runs_one_of_its_jobs()
    {
        var (_, pod, said) = await RenderAndConvert();
        pod["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["name"]).Should().Equal("modulus", "dev");
        said.Should().NotContain("sidecar");

        var (_, job, saidForJobs) = await RenderAndConvert("--set", "buildMatrix.enabled=true",
            "--set-json", """buildMatrix.gardenlinuxVersions=["1877.3","2150.8.0"]""", "--set-json", """buildMatrix.driverVersions=["570.86.15"]""");
        ((string?)job["metadata"]!["name"]).Should().Be("gpu-compiler-1877-3-570-86-15", "2150.8.0 x 570 is excluded, so one Job is left");
        job["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["name"]).Should().Equal("dev", "modulus");
        job["spec"]!["containers"]![1]!["command"]!.AsArray().Select(c => (string?)c).Should().Equal("modulus", "compile");
        saidForJobs.Should().Contain("restartPolicy OnFailure -> Never");
    }

    private async Task<(JsonObject Workload, JsonObject Pod, string Said)> RenderAndConvert(params string[] extra)
    {
        var (yaml, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "compiler-values.yaml"), ["--set", "driverBucketSecret=", .. extra]);
        var rendered = dir.Combine("rendered.yaml");
        await File.WriteAllTextAsync(rendered, yaml);
        var (code, run) = await ChildProcess.RunAsync("node", [Path.Combine(Repo.Root, ".ci", "compiler-pod", "pod-from-chart.cjs"), rendered],
            new Dictionary<string, string?> { ["NODE_PATH"] = Path.Combine(Repo.Root, ".tools", "node_modules") }, TestTimeouts.QuickSpan);
        code.Should().Be(0, run.Output);
        var played = Helm.Parse(run.Stdout);
        played.Select(o => (string?)o["kind"]).Should().Equal("ConfigMap", "Pod");
        ((string?)played[0]["data"]!["bootstrap.sh"]).Should().Be(await File.ReadAllTextAsync(Repo.Bootstrap), "the pod mounts the chart's own bootstrap ConfigMap");
        var workload = objects.First(o => (string?)o["kind"] is "DaemonSet" or "Job");
        return (workload, played[1], run.Stderr);
    }

    private static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);
}
