using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Logging;

namespace Modulus.Commands;

/// <summary>
/// Runs a command body with logging set up, and turns its outcome into the exit code:
/// <see cref="ModulusException"/> → its code, cancellation → 130, anything else → 1.
/// </summary>
internal static class CommandHost
{
    public static async Task<int> RunAsync(Func<ILoggerFactory, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        ILoggerFactory factory;
        try
        {
            factory = ModulusLogging.CreateFactory();
        }
        catch (InvalidInputException e)
        {
            return ErrorReport.Write(e.ExitCode, e.Message);
        }

        using (factory)
        {
            var logger = factory.CreateLogger("modulus");
            try
            {
                return await body(factory, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Cancelled; nothing half-done was kept");
                return ExitCodes.Cancelled;
            }
            catch (ModulusException e)
            {
                logger.LogError("{Error:l}", e.Message);
                return e.ExitCode;
            }
            catch (Exception e)
            {
                logger.LogCritical(e, "Unexpected failure: {Error:l}", e.Message);
                return ExitCodes.Failure;
            }
        }
    }
}
