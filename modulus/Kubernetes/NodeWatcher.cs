using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Install;

namespace Modulus.Kubernetes;

/// <summary>Settings of <c>modulus watch</c>.</summary>
internal sealed record NodeWatcherOptions(string HostRoot, string CacheDir, string HostDriverPath, TimeSpan Interval);

/// <summary>
/// The installer pod's main container: keeps the node's ready label true to the driver's state. When the driver
/// goes (unloaded, device nodes gone) the label is removed and an Event says why; when it is live again, it returns.
/// A failure of the loop itself stops the application with exit code 1, so Kubernetes restarts the container.
/// </summary>
internal sealed class NodeWatcher(NodeWatcherOptions options, IKernelModules modules, NodeReporter reporter, IHostApplicationLifetime lifetime, ILogger<NodeWatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            bool? labelled = null;
            using var timer = new PeriodicTimer(options.Interval);
            do
            {
                var status = await NodeStatus.ReadAsync(modules, options.HostRoot, options.CacheDir, options.HostDriverPath, verify: false, stoppingToken);
                labelled ??= await TryReadLabelAsync(stoppingToken);
                if (status.Ready && labelled != true)
                {
                    logger.LogInformation("The driver is live ({Reason}); labelling node {Node} ready", status.Reason, reporter.Node);
                    var version = status.Modules.FirstOrDefault(m => m.Name == "nvidia")?.Version ?? "unknown";
                    await reporter.ReportInstalledAsync(version, status.Reason, stoppingToken);
                    labelled = true;
                }
                else if (!status.Ready && labelled != false)
                {
                    logger.LogWarning("The driver is not live ({Reason}); removing node {Node}'s ready label", status.Reason, reporter.Node);
                    await reporter.ReportGoneAsync(status.Reason, stoppingToken);
                    labelled = false;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "modulus watch failed: {Error}", e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task<bool?> TryReadLabelAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await reporter.IsLabelledReadyAsync(cancellationToken);
        }
        catch (KubernetesApiException e)
        {
            logger.LogWarning("Could not read node {Node}'s labels ({Error}); setting them from scratch", reporter.Node, e.Message);
            return null;
        }
    }
}
