using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Kubernetes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Kubernetes;

/// <summary>The small Kubernetes client against a stand-in API server on loopback (no real API server runs here).</summary>
public sealed class KubernetesClientStandInIntegrationTests : IAsyncLifetime
{
    private KubernetesApiStandIn api = null!;

    public Task InitializeAsync()
    {
        api = new KubernetesApiStandIn();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await api.DisposeAsync();

    private static KubernetesClient Client(KubernetesApiStandIn server, string token = "sa-token") => new(new KubernetesClientOptions
    {
        Configuration = KubernetesClientOptions.Bearer(server.Server, () => token, server.CertificateAuthority), EventNamespace = "kube-system",
        RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(50), MaxAttempts = 3,
    }, NullLogger.Instance);

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Labels_the_node_ready_and_records_an_event_with_the_bearer_token()
    {
        using var client = Client(api);
        var reporter = new NodeReporter(client, "gpu-node-1", NullLogger.Instance);

        await reporter.ReportInstalledAsync("550.127.08", "1877.6", "nvidia 550.127.08 is live", CancellationToken.None);

        api.Labels.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["modulus.gardenlinux.io/nvidia-driver-version"] = "550.127.08", ["modulus.gardenlinux.io/nvidia-driver-ready"] = "true",
            ["modulus.gardenlinux.io/gardenlinux-version"] = "1877.6",
        });
        var requests = api.Requests.ToList();
        requests.Should().OnlyContain(r => r.Authorization == "Bearer sa-token");
        requests[0].Should().BeEquivalentTo(new { Method = "PATCH", Path = "/api/v1/nodes/gpu-node-1" }, o => o.ExcludingMissingMembers());
        requests[0].ContentType.Should().StartWith("application/merge-patch+json");
        requests[1].Should().BeEquivalentTo(new { Method = "PATCH", Path = "/api/v1/nodes/gpu-node-1/status" }, o => o.ExcludingMissingMembers());
        requests[1].ContentType.Should().StartWith("application/strategic-merge-patch+json");
        ((string?)api.Conditions["NvidiaDriverReady"]["status"]).Should().Be("True");
        ((string?)api.Conditions["NvidiaDriverReady"]["reason"]).Should().Be("NvidiaDriverLive");
        requests[2].Method.Should().Be("POST");
        requests[2].Path.Should().Be("/api/v1/namespaces/kube-system/events");
        var ev = JsonNode.Parse(requests[2].Body)!;
        ((string?)ev["involvedObject"]!["kind"]).Should().Be("Node");
        ((string?)ev["involvedObject"]!["name"]).Should().Be("gpu-node-1");
        ((string?)ev["reason"]).Should().Be("NvidiaDriverInstalled");
        ((string?)ev["type"]).Should().Be("Normal");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Removes_the_ready_label_when_the_driver_is_gone_and_says_why()
    {
        api.Labels["modulus.gardenlinux.io/nvidia-driver-ready"] = "true";
        api.Labels["modulus.gardenlinux.io/nvidia-driver-version"] = "550.127.08";
        using var client = Client(api);

        await new NodeReporter(client, "gpu-node-1", NullLogger.Instance).ReportGoneAsync("not loaded: nvidia", CancellationToken.None);

        api.Labels.Keys.Should().Equal("modulus.gardenlinux.io/nvidia-driver-version");
        JsonNode.Parse(api.Requests.ToList()[0].Body)!["metadata"]!["labels"]!.ToJsonString().Should().Be("""{"modulus.gardenlinux.io/nvidia-driver-ready":null}""");
        ((string?)api.Conditions["NvidiaDriverReady"]["status"]).Should().Be("False");
        ((string?)api.Conditions["NvidiaDriverReady"]["message"]).Should().Be("not loaded: nvidia");
        var ev = JsonNode.Parse(api.Requests.ToList()[2].Body)!;
        ((string?)ev["type"]).Should().Be("Warning");
        ((string?)ev["message"]).Should().Be("not loaded: nvidia");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Reads_the_garden_linux_version_from_the_os_version_label()
    {
        api.Labels["os-version"] = "1592.3";
        using var client = Client(api);

        (await new NodeReporter(client, "gpu-node-1", NullLogger.Instance).GardenlinuxVersionAsync(CancellationToken.None)).Should().Be("1592.3");
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Retries_conflicts_throttling_and_server_errors(HttpStatusCode status)
    {
        api.Failures.Enqueue((status, "try again"));
        api.Failures.Enqueue((status, "try again"));
        using var client = Client(api);

        await client.PatchNodeLabelsAsync("gpu-node-1", new Dictionary<string, string?> { ["a"] = "b" }, CancellationToken.None);

        api.Requests.Should().HaveCount(3);
        api.Labels["a"].Should().Be("b");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Reports_a_403_at_once_with_what_the_service_account_needs()
    {
        api.Failures.Enqueue((HttpStatusCode.Forbidden, "nodes \"gpu-node-1\" is forbidden: User \"system:serviceaccount:kube-system:x\" cannot patch resource \"nodes\""));
        using var client = Client(api);

        var failure = (await FluentActions.Awaiting(() => client.PatchNodeLabelsAsync("gpu-node-1", new Dictionary<string, string?> { ["a"] = "b" }, CancellationToken.None))
            .Should().ThrowAsync<KubernetesApiException>()).Which;

        failure.Status.Should().Be(HttpStatusCode.Forbidden);
        failure.Message.Should().StartWith("the Kubernetes API refused to label node gpu-node-1: 403 Forbidden: nodes \"gpu-node-1\" is forbidden")
            .And.EndWith("The pod's service account needs get and patch on nodes, patch on nodes/status and create on events (the chart's ClusterRole grants them).");
        api.Requests.Should().ContainSingle("a 403 is not retried");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Never_fails_the_caller_when_the_api_keeps_failing()
    {
        for (var i = 0; i < 10; i++)
        {
            api.Failures.Enqueue((HttpStatusCode.ServiceUnavailable, "down"));
        }

        using var client = Client(api);

        await new NodeReporter(client, "gpu-node-1", NullLogger.Instance).ReportInstalledAsync("550.127.08", null, "live", CancellationToken.None);

        api.Requests.Should().HaveCount(3, "three attempts, then the reporter logs and carries on");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Trusts_a_server_certificate_signed_by_the_cluster_ca_and_refuses_another()
    {
        await using var tls = new KubernetesApiStandIn(tls: true);
        await using var other = new KubernetesApiStandIn(tls: true);
        using var trusting = Client(tls);
        using var wrongCa = new KubernetesClient(new KubernetesClientOptions
        {
            Configuration = KubernetesClientOptions.Bearer(tls.Server, () => null, other.CertificateAuthority), MaxAttempts = 1,
        }, NullLogger.Instance);

        await trusting.PatchNodeLabelsAsync("gpu-node-1", new Dictionary<string, string?> { ["a"] = "b" }, CancellationToken.None);
        var refused = (await FluentActions.Awaiting(() => wrongCa.GetNodeLabelsAsync("gpu-node-1", CancellationToken.None))
            .Should().ThrowAsync<KubernetesApiException>()).Which;

        tls.Labels["a"].Should().Be("b");
        refused.Message.Should().StartWith($"cannot read node gpu-node-1: the API server {tls.Server} is not reachable");
        tls.Requests.Should().ContainSingle("the untrusted client never sent its request");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Reads_a_kubeconfig_with_the_library_and_takes_the_namespace_for_events()
    {
        using var dir = new TempDirectory();
        var ca = Convert.ToBase64String(api.CertificateAuthority?.RawData ?? new KubernetesApiStandInCa().Bytes);
        File.WriteAllText(dir.Combine("config"), $$"""
            apiVersion: v1
            kind: Config
            current-context: prod
            contexts:
            - name: prod
              context: { cluster: c1, user: u1, namespace: gpu-ops }
            clusters:
            - name: c1
              cluster: { server: "{{api.Server}}", certificate-authority-data: {{ca}} }
            users:
            - name: u1
              user: { token: kube-token }
            """);

        var options = KubernetesClientFactory.FromKubeconfig(dir.Combine("config"));
        using var client = new KubernetesClient(options, NullLogger.Instance);
        await client.CreateNodeEventAsync("gpu-node-1", "Normal", "Test", "hello", CancellationToken.None);

        options.Server.Should().Be(api.Server);
        options.EventNamespace.Should().Be("gpu-ops");
        var request = api.Requests.Should().ContainSingle().Which;
        request.Authorization.Should().Be("Bearer kube-token");
        request.Path.Should().Be("/api/v1/namespaces/gpu-ops/events");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Gets_its_token_from_a_kubeconfig_exec_plugin_as_gardener_and_oidc_logins_do()
    {
        using var dir = new TempDirectory();
        var plugin = dir.Combine("credential-plugin.sh");
        File.WriteAllText(plugin, """
            #!/bin/sh
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}'
            """);
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        File.WriteAllText(dir.Combine("config"), $$"""
            current-context: garden
            contexts: [ { name: garden, context: { cluster: c, user: oidc } } ]
            clusters: [ { name: c, cluster: { server: "{{api.Server}}" } } ]
            users:
            - name: oidc
              user:
                exec: { apiVersion: client.authentication.k8s.io/v1, command: {{plugin}}, interactiveMode: Never }
            """);

        using var client = new KubernetesClient(KubernetesClientFactory.FromKubeconfig(dir.Combine("config")), NullLogger.Instance);
        await client.PatchNodeLabelsAsync("gpu-node-1", new Dictionary<string, string?> { ["a"] = "b" }, CancellationToken.None);

        api.Requests.Should().ContainSingle().Which.Authorization.Should().Be("Bearer exec-token");
        api.Labels["a"].Should().Be("b");
    }

    [Fact]
    public void Refuses_a_kubeconfig_that_skips_tls_verification_and_names_a_broken_one()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("insecure"), """
            current-context: x
            contexts: [ { name: x, context: { cluster: c, user: u } } ]
            clusters: [ { name: c, cluster: { server: "https://x", insecure-skip-tls-verify: true } } ]
            users: [ { name: u, user: { token: t } } ]
            """);
        File.WriteAllText(dir.Combine("broken"), "current-context: missing\ncontexts: []\n");

        FluentActions.Invoking(() => KubernetesClientFactory.FromKubeconfig(dir.Combine("insecure")))
            .Should().Throw<Core.Errors.InvalidInputException>().WithMessage("*asks for insecure-skip-tls-verify, which Modulus does not do*");
        FluentActions.Invoking(() => KubernetesClientFactory.FromKubeconfig(dir.Combine("broken")))
            .Should().Throw<Core.Errors.InvalidInputException>().WithMessage($"kubeconfig {dir.Combine("broken")} cannot be used: *");
    }

    /// <summary>A throwaway self-signed certificate, DER-encoded, for kubeconfig parsing.</summary>
    private sealed class KubernetesApiStandInCa
    {
        public byte[] Bytes { get; } = CreateBytes();

        private static byte[] CreateBytes()
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=modulus-kubeconfig-test", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            return cert.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Cert);
        }
    }
}
