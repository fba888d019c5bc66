using System.Text.Json.Nodes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Chart;

/// <summary>charts/nvidia-installer with a real helm 3, the operators' values files, and offline schema validation.</summary>
public sealed class ChartIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    // The two values files operators use today, verbatim.
    private const string CompilerValues = """
        allowCompilation: true
        forceCompile: true
        debug: true          # compile needs both containers at once; init containers run one after another
        driverBucketSecret: nvidia-driver-bucket-write-prod
        gardenlinuxVersion: 184.0.0
        nvidiaInstaller:
          driverVersion: "450.80.02"
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions:
                - key: gpu
                  operator: In
                  values: [driver-compile-node]
        """;

    private const string InstallerValues = """
        driverBucketSecret: nvidia-driver-bucket-read
        gardenlinuxVersion: 184.0.0
        nvidiaInstaller:
          driverVersion: "450.80.02"
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions:
                - key: gpu
                  operator: Exists
                - key: os-version
                  operator: In
                  values: [184.0.0]
        """;

    private string Values(string name, string content)
    {
        var path = dir.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    private static JsonObject DaemonSet(IReadOnlyList<JsonObject> objects) =>
        objects.Single(o => (string?)o["kind"] == "DaemonSet");

    private static JsonArray Containers(JsonObject ds, string field) => ds["spec"]!["template"]!["spec"]![field]?.AsArray() ?? [];

    private static IEnumerable<JsonNode> Env(JsonNode container) => container["env"]!.AsArray()!;

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("installer-values.yaml")]
    [InlineData("compiler-values.yaml")]
    [InlineData("compiler-sidecar-values.yaml")]
    public async Task Lints_cleanly_with_each_ci_values_file(string file)
    {
        var (code, run) = await Helm.RunAsync("lint", Helm.Chart, "--strict", "-f", Path.Combine(Helm.Chart, "ci", file));

        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain("1 chart(s) linted, 0 chart(s) failed");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Renders_the_installer_instance_as_a_daemonset_with_a_privileged_install_and_no_dev_container()
    {
        var (yaml, objects) = await Helm.TemplateAsync(Values("installer.yaml", InstallerValues));

        var ds = DaemonSet(objects);
        var spec = ds["spec"]!["template"]!["spec"]!;
        ((string?)ds["spec"]!["updateStrategy"]!["type"]).Should().Be("OnDelete");
        ((string?)spec["priorityClassName"]).Should().Be("system-node-critical");
        spec["hostPID"].Should().BeNull("hostPID only with in-place upgrades (ChartLeastPrivilegeIntegrationTests)");
        var init = Containers(ds, "initContainers").Should().ContainSingle().Subject!;
        init["command"]!.AsArray().Select(c => (string?)c).Should().Equal("modulus", "install");
        ((string?)init["securityContext"]!["privileged"]).Should().Be("true");
        init["volumeMounts"]!.AsArray().Select(m => (string?)m!["mountPath"]).Should().Contain(["/host", "/dev", "/sys", "/opt/modulus/cache", "/host/opt/drivers"]);
        var main = Containers(ds, "containers").Should().ContainSingle().Subject!;
        ((string?)main["securityContext"]!["privileged"]).Should().Be("false");
        ((string?)main["securityContext"]!["runAsNonRoot"]).Should().Be("true");
        ((string?)main["securityContext"]!["runAsUser"]).Should().Be("65534");
        ((string?)main["securityContext"]!["seccompProfile"]!["type"]).Should().Be("RuntimeDefault");
        main["volumeMounts"]!.AsArray().Select(m => ((string?)m!["mountPath"], (string?)m["readOnly"])).Should().BeEquivalentTo(new[]
        {
            ("/host/sys/module", "true"), ("/host/dev", "true"), ("/host/opt/modulus/cache", "true"), ("/host/opt/drivers", "true"), ("/host/etc/os-release", "true"),
        }, "the unprivileged container sees only what status reads, read-only, and not the host's /");
        ((string?)main["livenessProbe"]!["httpGet"]!["path"]).Should().Be("/healthz");
        ((string?)main["startupProbe"]!["httpGet"]!["path"]).Should().Be("/healthz");
        main["readinessProbe"]!["exec"]!["command"]!.AsArray().Select(c => (string?)c).Take(2).Should().Equal("modulus", "status");
        main["command"]!.AsArray().Select(c => (string?)c).Take(2).Should().Equal("modulus", "watch");
        Env(main).Should().Contain(e => (string?)e["name"] == "MODULUS_NODE_NAME" && (string?)e["valueFrom"]!["fieldRef"]!["fieldPath"] == "spec.nodeName");
        Containers(ds, "initContainers").Concat(Containers(ds, "containers")).Select(c => (string?)c!["name"]).Should().NotContain("dev");
        yaml.Should().NotContain("kmodbuild", "no compiler image reaches production GPU nodes");
        spec["affinity"]!["nodeAffinity"]!.ToJsonString().Should().Be(
            """{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"gpu","operator":"Exists"},{"key":"os-version","operator":"In","values":["184.0.0"]}]}]}}""");
        AssertCredentialsOnlyBySecretReference(init, "nvidia-driver-bucket-read");
        Env(init).Should().Contain(e => (string?)e["name"] == "MODULUS_DRIVER_VERSION" && (string?)e["value"] == "450.80.02");
        Env(init).Should().Contain(e => (string?)e["name"] == "MODULUS_IOMMU_PASSTHROUGH" && (string?)e["value"] == "true", "as Garden Linux's installer does, by default");
        Env(init).Should().Contain(e => (string?)e["name"] == "MODULUS_UVM_DISABLE_HMM" && (string?)e["value"] == "true");
        Env(init).Concat(Env(main)).Select(e => (string?)e["name"]).Should().NotContain(["MODULUS_GARDENLINUX_VERSION", "MODULUS_ARCH", "MODULUS_KERNEL_VERSION"],
            "each node's os-release, running kernel and arch pick its artifact, not a value of the node pool");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Needs_the_garden_linux_version_for_the_compiler_instance_only()
    {
        var installer = InstallerValues.Replace("gardenlinuxVersion: 184.0.0\n", "", StringComparison.Ordinal);
        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Values("installer.yaml", installer));
        code.Should().Be(0, "an installer serves nodes of any Garden Linux version: " + run.Output);

        var compiler = CompilerValues.Replace("gardenlinuxVersion: 184.0.0\n", "", StringComparison.Ordinal);
        (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Values("compiler.yaml", compiler));
        code.Should().NotBe(0);
        run.Stderr.Should().Contain("values don't meet the specifications of the schema").And.Contain("gardenlinuxVersion");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Renders_the_compiler_instance_with_modulus_and_dev_running_concurrently_in_debug_mode()
    {
        var (_, objects) = await Helm.TemplateAsync(Values("compiler.yaml", CompilerValues));

        var ds = DaemonSet(objects);
        Containers(ds, "initContainers").Should().BeEmpty("init containers run one after another; compile needs both at once");
        var containers = Containers(ds, "containers");
        containers.Select(c => (string?)c!["name"]).Should().Equal("modulus", "dev");
        var dev = containers[1]!;
        ((string?)dev["image"]).Should().Be("ghcr.io/gardenlinux/gardenlinux/kmodbuild:amd64-184.0.0");
        ((string?)dev["securityContext"]!["privileged"]).Should().Be("false");
        dev["command"]!.AsArray().Select(c => (string?)c).Should().Equal("/bin/sh", "/modulus/bootstrap.sh");
        var modulus = containers[0]!;
        Env(modulus).Should().Contain(e => (string?)e["name"] == "MODULUS_FORCE" && (string?)e["value"] == "true");
        Env(modulus).Should().Contain(e => (string?)e["name"] == "MODULUS_CMD_DIR" && (string?)e["value"] == "/cmd");
        Env(modulus).Should().Contain(e => (string?)e["name"] == "MODULUS_GARDENLINUX_VERSION" && (string?)e["value"] == "184.0.0");
        Env(modulus).Should().Contain(e => (string?)e["name"] == "MODULUS_ARCH" && (string?)e["value"] == "amd64");
        AssertCredentialsOnlyBySecretReference(modulus, "nvidia-driver-bucket-write-prod");
        ((string?)ds["spec"]!["template"]!["spec"]!["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!["values"]![0])
            .Should().Be("driver-compile-node");
        var bootstrap = objects.Single(o => (string?)o["kind"] == "ConfigMap");
        ((string?)bootstrap["data"]!["bootstrap.sh"]).Should().Be(await File.ReadAllTextAsync(Repo.Bootstrap), "the dev container runs dev-builder/bootstrap.sh unchanged");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Runs_dev_as_a_native_sidecar_without_debug()
    {
        var (_, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "compiler-sidecar-values.yaml"));

        var ds = DaemonSet(objects);
        var dev = Containers(ds, "initContainers").Should().ContainSingle().Subject!;
        ((string?)dev["name"]).Should().Be("dev");
        ((string?)dev["restartPolicy"]).Should().Be("Always");
        ((string?)dev["image"]).Should().Be("ghcr.io/gardenlinux/gardenlinux/kmodbuild:arm64-1592.3");
        var modulus = Containers(ds, "containers").Should().ContainSingle().Subject!;
        Env(modulus).Should().Contain(e => (string?)e["name"] == "MODULUS_S3_ENDPOINT" && (string?)e["value"] == "https://s3.example.internal");
        Env(modulus).Should().Contain(e => (string?)e["name"] == "MODULUS_DRIVER_SOURCE_SHA256" && (string?)e["value"] == "aef1764f8e0e086d0b111ca6315b83ad92c5aa92221fc3dc6a4b24a2b286d433");
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("installer-values.yaml")]
    [InlineData("compiler-values.yaml")]
    [InlineData("compiler-sidecar-values.yaml")]
    [InlineData("installer-upgrade-values.yaml")]
    public async Task Renders_manifests_that_the_kubernetes_schemas_accept(string file)
    {
        var (yaml, _) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", file));

        var (code, run) = await Helm.ValidateAsync(yaml);

        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain("valid DaemonSet/").And.NotContain("INVALID");
        if (file.StartsWith("installer", StringComparison.Ordinal))
        {
            run.Stdout.Should().Contain("valid ClusterRole/kube-system-gpu-installer", "RBAC names carry the namespace");
        }
        else
        {
            run.Stdout.Should().NotContain("ClusterRole", "the compiler never calls the API and gets no role");
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_offline_validation_rejects_a_broken_manifest()
    {
        var (code, run) = await Helm.ValidateAsync("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: broken }\nspec: { template: { spec: { containers: [ { image: x } ] } } }\n");

        code.Should().Be(1);
        run.Stdout.Should().Contain("INVALID DaemonSet/broken");
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("nvidiaInstaller.driverVersion=latest; rm -rf /", "nvidiaInstaller.driverVersion: Does not match pattern")]
    [InlineData("gardenlinuxVersion=../184", "gardenlinuxVersion: Does not match pattern")]
    [InlineData("nvidiaInstaller.moduleType=closed", "nvidiaInstaller.moduleType")]
    [InlineData("arch=x86_64", "arch")]
    [InlineData("nvidiaInstaller.hostDriverPath=relative/path", "nvidiaInstaller.hostDriverPath: Does not match pattern")]
    [InlineData("nvidiaInstaller.driverSourceSha256=abc123", "nvidiaInstaller.driverSourceSha256: Does not match pattern")]
    public async Task Rejects_malformed_values_at_template_time_with_a_schema_message(string set, string message)
    {
        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Values("installer.yaml", InstallerValues), "--set", set);

        code.Should().NotBe(0);
        run.Stderr.Should().Contain("values don't meet the specifications of the schema").And.Contain(message);
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("debug=yes", "debug: Invalid type")]
    [InlineData("allowCompilation=maybe", "allowCompilation: Invalid type")]
    public async Task Rejects_wrong_types(string set, string message)
    {
        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Values("installer.yaml", InstallerValues), "--set-string", set);

        code.Should().NotBe(0);
        run.Stderr.Should().Contain(message);
    }

    private static void AssertCredentialsOnlyBySecretReference(JsonNode container, string secret)
    {
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MODULUS_S3_BUCKET" })
        {
            var variable = Env(container).Single(e => (string?)e["name"] == name);
            variable["value"].Should().BeNull($"{name} comes from the secret, never as a literal");
            ((string?)variable["valueFrom"]!["secretKeyRef"]!["name"]).Should().Be(secret);
        }
    }
}
