using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Install;

namespace Modulus.Watch;

/// <summary>Settings of the watch container's HTTP endpoint.</summary>
internal sealed record MetricsOptions(int Port, string Node, string CacheDir, TimeSpan Interval);

/// <summary>
/// <c>modulus watch</c>'s HTTP endpoint: <c>/metrics</c> (Prometheus text) and <c>/healthz</c> (200 while the watch
/// loop has ticked within three intervals, 503 otherwise: the chart's liveness and startup probes).
/// </summary>
internal sealed class MetricsServer(MetricsOptions options, WatchState state, ILogger<MetricsServer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://+:{options.Port}/");
        listener.Start();
        logger.LogInformation("Serving /metrics and /healthz on port {Port}", options.Port);
        await using var registration = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException && stoppingToken.IsCancellationRequested)
            {
                return;
            }

            Respond(context);
        }
    }

    private void Respond(HttpListenerContext context)
    {
        using var response = context.Response;
        var (status, lastTick, failures) = state.Snapshot();
        var (code, type, body) = context.Request.Url?.AbsolutePath switch
        {
            "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8",
                PrometheusText.Render(options.Node, status, InstallState.Read(options.CacheDir), failures)),
            "/healthz" => DateTimeOffset.UtcNow - lastTick <= options.Interval * 3
                ? (200, "text/plain", "ok\n")
                : (503, "text/plain", status is null ? "the watch loop has not run yet\n" : $"the watch loop last ran at {lastTick:u}\n"),
            _ => (404, "text/plain", "try /metrics or /healthz\n"),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = code;
        response.ContentType = type;
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
    }
}
