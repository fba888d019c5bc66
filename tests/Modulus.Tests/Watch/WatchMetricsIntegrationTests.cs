using System.Net;
using System.Net.Sockets;
using Modulus.Core.Artifacts;
using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Watch;

/// <summary>`modulus watch` as a real process: its /metrics and /healthz, scraped over HTTP.</summary>
public sealed class WatchMetricsIntegrationTests : IAsyncLifetime
{
    private readonly TempDirectory host = new();
    private readonly KubernetesApiStandIn api = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        host.Dispose();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Serves_readiness_version_and_the_last_installs_result_as_prometheus_metrics()
    {
        var cache = host.Combine("opt", "modulus", "cache");
        Directory.CreateDirectory(cache);
        InstallState.Write(cache, new InstallState("nvidia-580.1-open-amd64", false, "no NVIDIA GPU was found: \"NVRM\"", 1, DateTimeOffset.FromUnixTimeSeconds(1_790_000_000))
        {
            DurationSeconds = 3.5, BytesFetched = 123456,
        });
        await api.WriteKubeconfigAsync(host.Combine("kubeconfig"), "watch-token");
        var port = FreePort();
        using var watch = ChildProcess.Start(Repo.Modulus, ["watch", "--node-name", "gpu-3", "--kubeconfig", host.Combine("kubeconfig"), "--host-root", host.Path,
            "--cache-dir", cache, "--interval", "1", "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await watch.WaitForLineAsync("Serving /metrics and /healthz", TestTimeouts.QuickSpan);
        await api.WaitUntilAsync(() => api.Conditions.ContainsKey("NvidiaDriverReady"), TestTimeouts.QuickSpan);
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        health.StatusCode.Should().Be(HttpStatusCode.OK, "the watch loop is ticking");
        metrics.Should().Contain("# TYPE modulus_driver_ready gauge\nmodulus_driver_ready{node=\"gpu-3\"} 0\n", "nothing is loaded on this host root");
        metrics.Should().Contain("modulus_install_success{node=\"gpu-3\",artifact=\"nvidia-580.1-open-amd64\"} 0\n");
        metrics.Should().Contain("modulus_install_duration_seconds{node=\"gpu-3\",artifact=\"nvidia-580.1-open-amd64\"} 3.5\n");
        metrics.Should().Contain("modulus_install_fetched_bytes{node=\"gpu-3\",artifact=\"nvidia-580.1-open-amd64\"} 123456\n");
        metrics.Should().Contain("modulus_install_timestamp_seconds{node=\"gpu-3\",artifact=\"nvidia-580.1-open-amd64\"} 1790000000\n");
        metrics.Should().Contain("modulus_last_error_info{node=\"gpu-3\",artifact=\"nvidia-580.1-open-amd64\",message=\"no NVIDIA GPU was found: \\\"NVRM\\\"\"} 1\n", "label values are escaped");
        metrics.Should().Contain("# TYPE modulus_watch_api_failures_total counter\nmodulus_watch_api_failures_total{node=\"gpu-3\"} 0\n");
        metrics.Should().NotContain("modulus_driver_info", "no driver is loaded");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
