using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Install;
using Modulus.Kubernetes;

namespace Modulus.Watch;

/// <summary>Settings of <c>modulus watch</c>.</summary>
internal sealed record NodeWatcherOptions(HostSettings Host, TimeSpan Interval);

/// <summary>
/// The installer pod's main container: keeps the node's ready label and its <c>NvidiaDriverReady</c> condition true
/// to the driver's state. When the driver goes (unloaded, device nodes gone) the label is removed, the condition
/// turns False and an Event says why; when it is live again, they return. A change counts as made only once the API
/// accepted it: after a failure it is tried again on every tick until it succeeds.
/// A failure of the loop itself stops the application with exit code 1, so Kubernetes restarts the container.
/// </summary>
internal sealed class NodeWatcher(
    NodeWatcherOptions options, IKernelModules modules, NodeReporter reporter, WatchState state, IHostApplicationLifetime lifetime, ILogger<NodeWatcher> logger,
    IDriverConsumers? consumers = null)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            bool? labelled = null; // what Kubernetes was last told and accepted; null: nothing yet, so the first tick tells it
            using var timer = new PeriodicTimer(options.Interval);
            do
            {
                var status = await NodeStatus.ReadAsync(modules, options.Host, verify: false, stoppingToken);
                state.Observed(status);
                // What Kubernetes was told is only taken as told once the API accepted it; until then every
                // tick tries again, so an API outage mid-change cannot leave a stale ready label behind.
                if (status.Ready && labelled != true)
                {
                    logger.LogInformation("The driver is live ({Reason}); labelling node {Node} ready", status.Reason, reporter.Node);
                    var version = status.Modules.FirstOrDefault(m => m.Name == "nvidia")?.Version ?? "unknown";
                    labelled = await reporter.ReportInstalledAsync(version, status.GardenlinuxVersion, status.Reason, stoppingToken) ? true : Failed();
                    if (consumers is not null)
                    {
                        await consumers.ResumeAsync(stoppingToken);
                    }
                }
                else if (!status.Ready && labelled != false)
                {
                    logger.LogWarning("The driver is not live ({Reason}); removing node {Node}'s ready label", status.Reason, reporter.Node);
                    labelled = await reporter.ReportGoneAsync(status.Reason, stoppingToken) ? false : Failed();
                    if (consumers is not null)
                    {
                        await consumers.StopAsync(status.Reason, stoppingToken);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Core.Errors.ModulusException e)
        {
            logger.LogError("modulus watch failed: {Error:l}", e.Message); // expected: no stack trace
            Environment.ExitCode = e.ExitCode;
            lifetime.StopApplication();
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "modulus watch failed: {Error}", e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>An API call failed after its retries: counted for the metrics; what Kubernetes knows stays unknown.</summary>
    private bool? Failed()
    {
        state.ApiFailed();
        return null;
    }
}
