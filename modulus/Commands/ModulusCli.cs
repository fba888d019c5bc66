using System.CommandLine;
using System.CommandLine.Help;
using Modulus.Commands.Options;
using Modulus.Core.Errors;

namespace Modulus.Commands;

/// <summary>The <c>modulus</c> command tree and its invocation (exit 2 for usage errors, MODULUS_* defaults).</summary>
internal static class ModulusCli
{
    /// <summary>The command tree; <paramref name="getVariable"/> is the environment every command reads (tests pass another).</summary>
    public static RootCommand Create(Func<string, string?> getVariable)
    {
        var root = new RootCommand("modulus: compiles NVIDIA kernel modules for Garden Linux once, distributes them, installs them on every GPU node")
        {
            CompileCommand.Create(getVariable),
            PublishCommand.Create(getVariable),
            FetchCommand.Create(getVariable),
            ListCommand.Create(getVariable),
            VerifyCommand.Create(getVariable),
            InstallCommand.Create(getVariable),
            StatusCommand.Create(),
            WatchCommand.Create(),
            FabricManagerCommand.Create(),
            CoverageCommand.Create(getVariable),
            GcCommand.Create(getVariable),
        };
        CliHelp.Customize(root);
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, Func<string, string?> getVariable)
    {
        var root = Create(getVariable);
        Distribution.TransferProgress.LiveTerminal = Distribution.TransferProgress.IsLiveTerminal(getVariable);
        ParseResult parsed;
        try
        {
            parsed = root.Parse(EnvironmentDefaults.Apply(root.Parse(args), args, getVariable));
        }
        catch (InvalidInputException e)
        {
            return ErrorReport.Write(e.ExitCode, e.Message);
        }

        if (parsed.Errors.Count > 0 && !CliHelp.IsHelp(parsed))
        {
            return ErrorReport.Write(ExitCodes.InvalidInput, Suggestions.Describe(parsed));
        }

        // Time for a cancelled command to stop its children and clean up before the process ends.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }
}
