using System.CommandLine;
using Modulus.Commands.Options;

namespace Modulus.Commands;

/// <summary><c>modulus install</c>: make the driver live on this node (docs/install.md).</summary>
internal static class InstallCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var options = new InstallOptions(getVariable);
        var command = new Command("install", "Make the driver live on this node: fetch or compile, load, create device nodes, validate");
        options.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            (loggers, token) => InstallProgram.RunAsync(options.Bind(parsed), loggers, Console.Out, token), cancellationToken));
        return command;
    }
}
