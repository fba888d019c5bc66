using System.CommandLine;
using Modulus.Core.Errors;

namespace Modulus.Commands;

/// <summary>The <c>modulus</c> command tree and its invocation (exit 2 for usage errors, MODULUS_* defaults).</summary>
internal static class ModulusCli
{
    public static RootCommand Create() =>
        new("modulus: compiles NVIDIA kernel modules for Garden Linux once, distributes them, installs them on every GPU node")
        {
            CompileCommand.Create(),
            PublishCommand.Create(),
            FetchCommand.Create(),
            ListCommand.Create(),
            VerifyCommand.Create(),
            InstallCommand.Create(),
            StatusCommand.Create(),
            WatchCommand.Create(),
            CoverageCommand.Create(),
            GcCommand.Create(),
        };

    public static async Task<int> InvokeAsync(string[] args, Func<string, string?> getVariable)
    {
        var root = Create();
        ParseResult parsed;
        try
        {
            parsed = root.Parse(EnvironmentDefaults.Apply(root.Parse(args), args, getVariable));
        }
        catch (InvalidInputException e)
        {
            await Console.Error.WriteLineAsync($"modulus: {e.Message}");
            return e.ExitCode;
        }

        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"modulus: {error.Message}");
            }

            await Console.Error.WriteLineAsync("Run 'modulus --help' for usage.");
            return ExitCodes.InvalidInput;
        }

        // Time for a cancelled command to stop its children and clean up before the process ends.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }
}
