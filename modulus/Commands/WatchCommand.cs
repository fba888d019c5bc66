using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Logging;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Commands.Options;
using Modulus.Watch;
using Serilog;

namespace Modulus.Commands;

/// <summary><c>modulus watch</c>: the installer pod's main container, on the generic host.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var host = new HostDirectoryOptions();
        var kubernetes = new KubernetesOptions("This node's name (the chart sets it from the pod's spec.nodeName)", nodeNameRequired: true);
        var interval = new Option<double>("--interval") { Description = "Seconds between checks", DefaultValueFactory = _ => 30 };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of /metrics (Prometheus) and /healthz; 0 serves neither", DefaultValueFactory = _ => 9400 };
        var metricsAddress = new Option<string>("--metrics-address")
        {
            Description = "Address /metrics and /healthz listen on (the chart gives the pod's IP); default every address", DefaultValueFactory = _ => "0.0.0.0",
        };
        var command = new Command("watch", "Keep this node's driver-ready label true to the driver's state (runs until stopped)")
        {
            interval, metricsPort, metricsAddress,
        };
        host.AddTo(command);
        kubernetes.AddTo(command);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var seconds = parsed.GetValue(interval);
            var port = parsed.GetValue(metricsPort);
            if (seconds <= 0 || port is < 0 or > 65535)
            {
                return ErrorReport.Write(ExitCodes.InvalidInput, "watch needs a positive --interval and a --metrics-port from 0 to 65535");
            }

            if (!System.Net.IPAddress.TryParse(parsed.GetValue(metricsAddress), out var address))
            {
                return ErrorReport.Write(ExitCodes.InvalidInput, $"--metrics-address '{parsed.GetValue(metricsAddress)}' is not an IP address (e.g. the pod's IP, or 0.0.0.0 for every address)");
            }

            // Everything that can be wrong with the configuration is found here, before the host starts: a failure
            // inside the host's service factories would come with the host's stack trace. One logger serves the whole
            // run: the client made here logs its retries through it while the host runs.
            Serilog.Core.Logger log;
            try
            {
                log = ModulusLogging.CreateLogger();
            }
            catch (InvalidInputException e)
            {
                return ErrorReport.Write(e.ExitCode, e.Message);
            }

            using var loggers = new Serilog.Extensions.Logging.SerilogLoggerFactory(log, dispose: true);
            HostSettings settings;
            string node;
            KubernetesClient api;
            try
            {
                settings = host.Bind(parsed);
                var kube = kubernetes.Bind(parsed);
                node = kube.NodeName ?? throw new InvalidInputException($"{kubernetes.NodeName.Name} is required: this node's name");
                api = KubernetesClientFactory.TryCreate(kube.Kubeconfig, loggers.CreateLogger<KubernetesClient>())
                    ?? throw new InvalidInputException("modulus watch needs the Kubernetes API: no service account token and no kubeconfig were found (give --kubeconfig outside a pod)");
            }
            catch (InvalidInputException e)
            {
                return ErrorReport.Write(e.ExitCode, e.Message);
            }

            using (api)
            {
                var builder = Host.CreateApplicationBuilder();
                builder.Logging.ClearProviders();
                builder.Services.AddSerilog(log, dispose: false);
                builder.Services.AddSingleton(new NodeWatcherOptions(settings, TimeSpan.FromSeconds(seconds)));
                builder.Services.AddSingleton<WatchState>();
                if (port > 0)
                {
                    builder.Services.AddSingleton(new MetricsOptions(port, node, settings.CacheDir, TimeSpan.FromSeconds(seconds)) { Address = address });
                    builder.Services.AddHostedService<MetricsServer>();
                }

                builder.Services.AddSingleton<IKernelModules>(new SysfsKernelModules(settings.HostRoot));
                builder.Services.AddSingleton<INodeApi>(api);
                builder.Services.AddSingleton(sp => new NodeReporter(sp.GetRequiredService<INodeApi>(), node, sp.GetRequiredService<ILogger<NodeReporter>>()));
                builder.Services.AddSingleton<IDriverConsumers>(sp => new GpuOperatorOperands(api, node, sp.GetRequiredService<ILogger<GpuOperatorOperands>>()));
                builder.Services.AddHostedService<NodeWatcher>();
                using var host = builder.Build();
                await host.RunAsync(cancellationToken);
            }

            return Environment.ExitCode;
        });
        return command;
    }
}
