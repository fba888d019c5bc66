using System.CommandLine;
using Modulus.Commands.Options;
using Modulus.Install;

namespace Modulus.Commands;

/// <summary><c>modulus fabric-manager</c>: NVIDIA's fabric manager for the live driver on NVSwitch nodes (the chart's fabric-manager container).</summary>
internal static class FabricManagerCommand
{
    public static Command Create()
    {
        var host = new HostDirectoryOptions();
        var stateDir = new Option<string>("--state-dir") { Description = "Where its configuration and state are written", DefaultValueFactory = _ => "/tmp/modulus-fabricmanager" };
        var command = new Command("fabric-manager", "Run NVIDIA's fabric manager of the live driver when this node has NVSwitches (else wait until stopped)")
        {
            stateDir,
        };
        host.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            (loggers, token) => new FabricManager(host.Bind(parsed), loggers.CreateLogger("fabric-manager")).RunAsync(Path.GetFullPath(parsed.GetValue(stateDir)!), token),
            cancellationToken));
        return command;
    }
}
