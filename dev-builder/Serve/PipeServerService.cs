using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Modulus.DevBuilder.Serve;

/// <summary>Hosts the pipe server; when it fails the application stops with exit code 1 so the pod restarts.</summary>
internal sealed class PipeServerService(PipeServer server, IHostApplicationLifetime lifetime, ILogger<PipeServerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await server.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Core.Errors.ModulusException e)
        {
            logger.LogError("dev-builder failed: {Error:l}", e.Message); // expected: no stack trace, and not rethrown for the host to print one
            Environment.ExitCode = e.ExitCode;
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "dev-builder failed: {Error}", e.Message);
            Environment.ExitCode = 1;
            throw;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
