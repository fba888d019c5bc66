using Modulus.Core.Errors;
using Modulus.Core.Logging;

namespace Modulus.Commands;

/// <summary>
/// Writes errors that happen before a command's logger exists (parse errors, bad MODULUS_* values) the way every
/// other error is written: a log event at Error, as text on a terminal and as compact JSON when redirected.
/// </summary>
internal static class ErrorReport
{
    public static int Write(int exitCode, params IEnumerable<string> messages)
    {
        Serilog.Core.Logger log;
        string? said = null;
        try
        {
            log = ModulusLogging.CreateLogger();
        }
        catch (InvalidInputException e)
        {
            log = ModulusLogging.CreateLogger("information"); // MODULUS_LOG_LEVEL itself is wrong
            log.Error("{Error:l}", said = e.Message);
        }

        using (log)
        {
            foreach (var message in messages.Where(m => m != said))
            {
                log.Error("{Error:l}", message); // as CommandHost logs a command's failure
            }
        }

        return exitCode;
    }
}
