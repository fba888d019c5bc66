using System.Globalization;
using System.Text;
using Modulus.Install;

namespace Modulus.Watch;

/// <summary>
/// The node's driver metrics in Prometheus' text format (docs/kubernetes.md): readiness and the loaded version from
/// the watch loop, the last install's result, duration, bytes fetched and error from <c>&lt;cache&gt;/last-install.json</c>.
/// </summary>
internal static class PrometheusText
{
    public static string Render(string node, NodeStatus? status, InstallState? install, long apiFailures)
    {
        var text = new StringBuilder();
        var nodeLabel = Labels(("node", node));
        Gauge(text, "modulus_driver_ready", "1 when the NVIDIA driver is live on this node, else 0.", nodeLabel, status?.Ready == true ? 1 : 0);
        var nvidia = status?.Modules.FirstOrDefault(m => m.Name == "nvidia");
        if (status is not null && nvidia is not null)
        {
            Gauge(text, "modulus_driver_info", "The NVIDIA driver loaded on this node (always 1).",
                Labels(("node", node), ("version", nvidia.Version ?? "unknown"), ("kernel", status.Kernel), ("gardenlinux_version", status.GardenlinuxVersion ?? "none")), 1);
        }

        if (install is not null)
        {
            var artifact = Labels(("node", node), ("artifact", install.Artifact));
            Gauge(text, "modulus_install_success", "1 when the last install on this node succeeded, else 0.", artifact, install.Succeeded ? 1 : 0);
            Gauge(text, "modulus_install_timestamp_seconds", "When the last install ended (Unix time).", artifact, install.At.ToUnixTimeMilliseconds() / 1000.0);
            if (install.DurationSeconds is { } duration)
            {
                Gauge(text, "modulus_install_duration_seconds", "How long the last install took.", artifact, duration);
            }

            Gauge(text, "modulus_install_fetched_bytes", "Bytes the last install fetched from the store (0: the cache had it).", artifact, install.BytesFetched ?? 0);
            if (!install.Succeeded)
            {
                var message = install.Message.Length <= 200 ? install.Message : install.Message[..200];
                Gauge(text, "modulus_last_error_info", "The last install's error (always 1).", Labels(("node", node), ("artifact", install.Artifact), ("message", message)), 1);
            }
        }

        text.Append("# HELP modulus_watch_api_failures_total Kubernetes API calls of the watch loop that failed after their retries.\n")
            .Append("# TYPE modulus_watch_api_failures_total counter\n")
            .Append("modulus_watch_api_failures_total").Append(nodeLabel).Append(' ').Append(apiFailures.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, string labels, double value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" gauge\n")
            .Append(name).Append(labels).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static string Labels(params (string Name, string Value)[] labels) =>
        "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
