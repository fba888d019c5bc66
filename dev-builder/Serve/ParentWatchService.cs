using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Core.Processes;

namespace Modulus.DevBuilder.Serve;

/// <summary>
/// A local dev-builder (<c>--parent-pid</c>) ends with the modulus that started it: once a second it checks that
/// its parent is still that process, and stops the host otherwise, which cancels a running build and kills its
/// process group. (PR_SET_PDEATHSIG fires when the forking thread ends, which in .NET is any pool thread.)
/// </summary>
internal sealed class ParentWatchService(ServeOptions options, IHostApplicationLifetime lifetime, ILogger<ParentWatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (NativeSignals.ParentPid() == options.ParentPid && await timer.WaitForNextTickAsync(stoppingToken))
            {
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        logger.LogWarning("modulus (pid {Pid}) that started this dev-builder is gone; stopping", options.ParentPid);
        lifetime.StopApplication();
    }
}
