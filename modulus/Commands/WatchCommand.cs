using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Validation;
using Modulus.Core.Logging;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Metrics;
using Serilog;

namespace Modulus.Commands;

/// <summary><c>modulus watch</c>: the installer pod's main container, on the generic host.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var hostRoot = CommonOptions.HostRoot();
        var cacheDir = CommonOptions.CacheDir();
        var hostDriverPath = CommonOptions.HostDriverPath();
        var nodeName = new Option<string?>("--node-name") { Description = "This node's name (the chart sets MODULUS_NODE_NAME)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig outside a pod" };
        var interval = new Option<double>("--interval") { Description = "Seconds between checks", DefaultValueFactory = _ => 30 };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of /metrics (Prometheus) and /healthz; 0 serves neither", DefaultValueFactory = _ => 9400 };
        var command = new Command("watch", "Keep this node's driver-ready label true to the driver's state (runs until stopped)")
        {
            hostRoot, cacheDir, hostDriverPath, nodeName, kubeconfig, interval, metricsPort,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var node = parsed.GetValue(nodeName);
            var seconds = parsed.GetValue(interval);
            var port = parsed.GetValue(metricsPort);
            if (string.IsNullOrEmpty(node) || seconds <= 0 || port is < 0 or > 65535)
            {
                await Console.Error.WriteLineAsync("modulus: watch needs --node-name (MODULUS_NODE_NAME), a positive --interval and a --metrics-port from 0 to 65535");
                return ExitCodes.InvalidInput;
            }

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddSerilog(ModulusLogging.CreateLogger(), dispose: true);
            var root = Path.GetFullPath(InputValidator.Directory(parsed.GetValue(hostRoot), "--host-root"));
            var cache = Path.GetFullPath(InputValidator.Directory(parsed.GetValue(cacheDir), "--cache-dir"));
            builder.Services.AddSingleton(new NodeWatcherOptions(root, cache, parsed.GetValue(hostDriverPath)!, TimeSpan.FromSeconds(seconds)));
            builder.Services.AddSingleton<WatchState>();
            if (port > 0)
            {
                builder.Services.AddSingleton(new MetricsOptions(port, node, cache, TimeSpan.FromSeconds(seconds)));
                builder.Services.AddHostedService<MetricsServer>();
            }

            builder.Services.AddSingleton<IKernelModules>(new SysfsKernelModules(root));
            builder.Services.AddSingleton<INodeApi>(sp => KubernetesClientFactory.TryCreate(parsed.GetValue(kubeconfig), sp.GetRequiredService<ILogger<KubernetesClient>>())
                ?? throw new InvalidInputException("modulus watch needs the Kubernetes API: no service account token and no kubeconfig were found"));
            builder.Services.AddSingleton(sp => new NodeReporter(sp.GetRequiredService<INodeApi>(), node, sp.GetRequiredService<ILogger<NodeReporter>>()));
            builder.Services.AddHostedService<NodeWatcher>();
            try
            {
                using var host = builder.Build();
                await host.RunAsync(cancellationToken);
            }
            catch (InvalidInputException e)
            {
                await Console.Error.WriteLineAsync($"modulus: {e.Message}");
                return e.ExitCode;
            }

            return Environment.ExitCode;
        });
        return command;
    }
}
