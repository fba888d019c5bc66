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

    /// <summary>The red team's "a few thousand" slow clients.</summary>
    private const int Clients = 6000;

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Many_idle_and_partial_connections_neither_grow_watch_nor_keep_its_probe_unanswered()
    {
        await api.WriteKubeconfigAsync(host.Combine("kubeconfig"), "watch-token");
        var port = FreePort();
        using var watch = ChildProcess.Start(Repo.Modulus, ["watch", "--node-name", "gpu-3", "--kubeconfig", host.Combine("kubeconfig"), "--host-root", host.Path,
            "--interval", "1", "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--metrics-address", "127.0.0.1"]);
        await watch.WaitForLineAsync("Serving /metrics and /healthz", TestTimeouts.QuickSpan);
        using (var warm = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
        {
            (await warm.GetAsync(new Uri("/metrics", UriKind.Relative))).Dispose(); // the answering path is loaded before the baseline
        }

        await api.WaitUntilAsync(() => api.Conditions.ContainsKey("NvidiaDriverReady"), TestTimeouts.QuickSpan); // and so is the API path

        var before = Rss(watch.Id, "VmRSS:");

        // Clients that connect and send the start of a request, then nothing (the red team's slow clients).
        var idle = new List<Socket>();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                lock (idle)
                {
                    idle.Add(socket);
                }

                using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port, connecting.Token);
                    await socket.SendAsync("GET /metrics HTTP/1.1\r\nX-Slow: "u8.ToArray(), SocketFlags.None);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                    // beyond the accept backlog the kernel drops the connection attempt: that is the cap working
                }
            }));

            var probe = System.Diagnostics.Stopwatch.StartNew();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            probe.Stop();

            health.StatusCode.Should().BeOneOf(HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable);
            var peak = Rss(watch.Id, "VmHWM:");
            Console.WriteLine($"watch with {Clients} slow clients: probe answered after {probe.Elapsed.TotalSeconds:F1} s; RSS {before} MiB before, peak {peak} MiB");
            (peak - before).Should().BeLessThan(24, "stalled clients cost a few KiB each and are closed; the chart limits watch to 128 MiB (this Debug build starts near 100)");
            idle.Count(s => s.Connected).Should().BeGreaterThan(0, "the test did hold connections open");
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_metrics_address_that_is_not_an_ip_is_an_input_error()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["watch", "--node-name", "gpu-3", "--metrics-address", "pod-ip"]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("--metrics-address 'pod-ip' is not an IP address");
    }

    /// <summary>A memory figure of /proc/&lt;pid&gt;/status in MiB (VmRSS: now, VmHWM: peak).</summary>
    private static long Rss(int pid, string field) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith(field, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture) / 1024;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
