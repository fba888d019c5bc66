using System.CommandLine;
using Modulus.Core.Errors;
using Modulus.DevBuilder.Serve;

var root = new RootCommand("dev-builder: builds kernel modules for modulus in the dev container") { ServeCommand.Create() };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"dev-builder: {error.Message}");
    }

    return ExitCodes.InvalidInput;
}

// The generic host handles SIGTERM itself.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
