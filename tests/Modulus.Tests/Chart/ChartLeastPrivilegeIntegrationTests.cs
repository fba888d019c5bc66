using System.Text.Json.Nodes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Chart;

/// <summary>
/// The installer's privileges as rendered (issue 22): Leases by name only, events in its own namespace, hostPID only
/// for in-place upgrades, an optional policy that holds each pod to its own node, no private key in a ConfigMap.
/// </summary>
public sealed class ChartLeastPrivilegeIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static string Upgrading => Path.Combine(Helm.Chart, "ci", "installer-upgrade-values.yaml");

    private static string Plain => Path.Combine(Helm.Chart, "ci", "installer-values.yaml");

    private static IEnumerable<JsonObject> Kind(IReadOnlyList<JsonObject> objects, string kind) => objects.Where(o => (string?)o["kind"] == kind);

    private static IEnumerable<JsonNode> Rules(JsonObject role) => role["rules"]!.AsArray()!;

    private static IEnumerable<string?> Strings(JsonNode? array) => array?.AsArray().Select(v => (string?)v) ?? [];

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Upgrade_slots_are_leases_the_chart_creates_and_the_installer_may_touch_by_name_only()
    {
        var (_, objects) = await Helm.TemplateAsync(Upgrading);

        var leases = Kind(objects, "Lease").Select(l => (string?)l["metadata"]!["name"]).ToList();
        var prefix = (string?)Kind(objects, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["initContainers"]![0]!["env"]!.AsArray()
            .Single(e => (string?)e!["name"] == "MODULUS_UPGRADE_SLOT_PREFIX")!["value"];
        leases.Should().Equal($"{prefix}-0", $"{prefix}-1");
        var leaseRule = Kind(objects, "Role").SelectMany(Rules).Single(r => Strings(r["resources"]).Contains("leases"));
        Strings(leaseRule["resourceNames"]).Should().Equal(leases);
        Strings(leaseRule["verbs"]).Should().BeEquivalentTo(["get", "update"], "create cannot be limited by name, so the chart creates the Leases");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Events_are_recorded_in_the_release_namespace_only()
    {
        var (_, objects) = await Helm.TemplateAsync(Plain);

        Kind(objects, "ClusterRole").SelectMany(Rules).Should().NotContain(r => Strings(r["resources"]).Contains("events"));
        var events = Kind(objects, "Role").Single(r => Rules(r).Any(rule => Strings(rule["resources"]).Contains("events")));
        ((string?)events["metadata"]!["namespace"]).Should().Be("kube-system");
        Kind(objects, "RoleBinding").Should().Contain(b => (string?)b["roleRef"]!["name"] == (string?)events["metadata"]!["name"]);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Host_pid_only_with_in_place_upgrades()
    {
        var (_, plain) = await Helm.TemplateAsync(Plain);
        var (_, upgrading) = await Helm.TemplateAsync(Upgrading);

        Kind(plain, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["hostPID"].Should().BeNull();
        ((string?)Kind(upgrading, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["hostPID"]).Should().Be("true");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_privileged_fabric_manager_container_is_there_only_when_asked_for()
    {
        var (_, plain) = await Helm.TemplateAsync(Plain);
        var (yaml, asked) = await Helm.TemplateAsync(Plain, "--set", "nvidiaInstaller.fabricManager=true");

        Kind(plain, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["name"]).Should().Equal("ready");
        var container = Kind(asked, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single(c => (string?)c!["name"] == "fabric-manager")!;
        Strings(container["command"]).Take(2).Should().Equal("modulus", "fabric-manager");
        ((string?)container["securityContext"]!["privileged"]).Should().Be("true", "it opens /dev/nvidia-nvswitch*");
        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_compiler_gets_the_fabric_manager_package_and_the_schema_wants_an_absolute_deb()
    {
        var compiler = Path.Combine(Helm.Chart, "ci", "compiler-values.yaml");
        var (_, objects) = await Helm.TemplateAsync(compiler, "--set", "nvidiaInstaller.fabricManagerPackage=/downloads/nvidia-fabricmanager-580_580.95.05-1_amd64.deb");
        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", compiler, "--set", "nvidiaInstaller.fabricManagerPackage=fm.deb");

        Kind(objects, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()
            .Should().Contain(e => (string?)e!["name"] == "MODULUS_FABRIC_MANAGER_PACKAGE" && (string?)e["value"] == "/downloads/nvidia-fabricmanager-580_580.95.05-1_amd64.deb");
        code.Should().NotBe(0);
        run.Stderr.Should().Contain("fabricManagerPackage");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Metrics_listen_on_the_pod_ip_only_when_asked()
    {
        static JsonNode? Address(IReadOnlyList<JsonObject> objects) => Kind(objects, "DaemonSet").Single()["spec"]!["template"]!["spec"]!["containers"]!.AsArray()
            .Single(c => (string?)c!["name"] == "ready")!["env"]!.AsArray().SingleOrDefault(e => (string?)e!["name"] == "MODULUS_METRICS_ADDRESS");

        var (_, plain) = await Helm.TemplateAsync(Plain);
        var (_, upgrading) = await Helm.TemplateAsync(Upgrading);

        Address(plain).Should().BeNull("by default it listens on every address, so kubectl port-forward reaches it");
        ((string?)Address(upgrading)!["valueFrom"]!["fieldRef"]!["fieldPath"]).Should().Be("status.podIP");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_own_node_admission_policy_is_optional_and_names_the_installers_service_account()
    {
        var (_, plain) = await Helm.TemplateAsync(Plain);
        var (_, upgrading) = await Helm.TemplateAsync(Upgrading);

        Kind(plain, "ValidatingAdmissionPolicy").Should().BeEmpty("it needs Kubernetes 1.30: off unless asked for");
        var policy = Kind(upgrading, "ValidatingAdmissionPolicy").Single();
        var account = Kind(upgrading, "ServiceAccount").Single()["metadata"]!;
        ((string?)policy["spec"]!["matchConditions"]![0]!["expression"]).Should().Contain($"system:serviceaccount:{account["namespace"]}:{account["name"]}");
        ((string?)policy["spec"]!["validations"]![0]!["expression"]).Should().Contain("authentication.kubernetes.io/node-name").And.Contain("request.name");
        Strings(policy["spec"]!["matchConstraints"]!["resourceRules"]![0]!["resources"]).Should().BeEquivalentTo(["nodes", "nodes/status"]);
        ((string?)Kind(upgrading, "ValidatingAdmissionPolicyBinding").Single()["spec"]!["policyName"]).Should().Be((string?)policy["metadata"]!["name"]);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_private_key_among_the_trusted_public_keys_is_refused_at_template_time()
    {
        var values = dir.Combine("keys.yaml");
        await File.WriteAllTextAsync(values, "signing:\n  publicKeys:\n    - |\n      -----BEGIN PUBLIC KEY-----\n      MFkw\n      -----END PUBLIC KEY-----\n      -----BEGIN EC PRIVATE KEY-----\n      MHcC\n      -----END EC PRIVATE KEY-----\n");

        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Plain, "-f", values);

        code.Should().NotBe(0);
        run.Stderr.Should().Contain("values don't meet the specifications of the schema").And.Contain("publicKeys");
        run.Output.Should().NotContain("MHcC");
    }
}
