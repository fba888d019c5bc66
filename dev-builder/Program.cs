using System.CommandLine;
using Modulus.Core.Errors;
using Modulus.Core.Logging;
using Modulus.Core.Native;
using Modulus.DevBuilder.Serve;

ProcessUmask.SetDefault();
var root = new RootCommand("dev-builder: builds kernel modules for modulus in the dev container") { ServeCommand.Create(Environment.GetEnvironmentVariable) };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // Written like every other error: a log line, text on a terminal, compact JSON otherwise.
    using var log = ModulusLogging.CreateLogger("information");
    foreach (var error in parsed.Errors)
    {
        log.Error("{Error:l}. Run 'dev-builder serve --help' for usage.", error.Message.TrimEnd('.'));
    }

    return ExitCodes.InvalidInput;
}

// The generic host handles SIGTERM itself.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
