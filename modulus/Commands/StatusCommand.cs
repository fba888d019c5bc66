using System.CommandLine;
using System.Text.Json;
using Modulus.Core.Errors;
using Modulus.Commands.Options;
using Modulus.Core.Pipes;
using Modulus.Install;

namespace Modulus.Commands;

/// <summary><c>modulus status</c>: this node's driver state; exit 0 when ready, 1 when not (a readiness probe).</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var host = new HostDirectoryOptions();
        var verify = new Option<bool>("--verify") { Description = "Re-hash every cache entry against its manifest" };
        var json = new Option<bool>("--json") { Description = "One JSON object on stdout (schemaVersion 1, docs/cli.md)" };
        var nodeName = new Option<string?>("--node-name") { Description = "This node's name, for the JSON (default: the host's hostname)" };
        var command = new Command("status", "This node: kernel, Garden Linux version, loaded driver, device nodes, cache, readiness")
        {
            verify, json, nodeName,
        };
        host.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (_, token) =>
            {
                var settings = host.Bind(parsed);
                var status = await NodeStatus.ReadAsync(new SysfsKernelModules(settings.HostRoot), settings, parsed.GetValue(verify), token, parsed.GetValue(nodeName));
                if (parsed.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(status, InstallJson.Info<NodeStatus>(InstallJson.Indented)));
                }
                else
                {
                    var o = Console.Out;
                    await o.WriteLineAsync($"kernel:              {status.Kernel}");
                    await o.WriteLineAsync($"Garden Linux:        {status.GardenlinuxVersion ?? "none: " + status.Os}");
                    await o.WriteLineAsync($"ready:               {(status.Ready ? "yes" : "no")} ({status.Reason})");
                    await o.WriteLineAsync($"live cache entry:    {status.LiveEntry ?? "none"}");
                    if (status.DriverPath is not null)
                    {
                        await o.WriteLineAsync($"driver path:         {status.DriverPath} -> {status.DriverRoot} (hostPaths.driverInstallDir: {status.DriverPath})");
                    }

                    await o.WriteLineAsync("modules:" + (status.Modules.Count == 0 ? "             none loaded" : string.Empty));
                    foreach (var m in status.Modules)
                    {
                        var refs = m.Unloadable ? $"refcount {m.RefCount}" : "cannot be unloaded on this kernel (no refcnt)";
                        await o.WriteLineAsync($"  {m.Name,-16} version {m.Version ?? "-",-12} {refs}{(m.Holders.Count > 0 ? " (held by " + string.Join(", ", m.Holders) + ")" : string.Empty)}");
                    }

                    await o.WriteLineAsync($"device nodes:        {(status.DeviceNodes.Count == 0 ? "none" : string.Join(" ", status.DeviceNodes))}");
                    await o.WriteLineAsync("cache:" + (status.CacheEntries.Count == 0 ? "               empty" : string.Empty));
                    foreach (var e in status.CacheEntries)
                    {
                        await o.WriteLineAsync($"  {e.Entry}{(e.Live ? " (live)" : string.Empty)}: {e.State}");
                    }
                }

                return status.Ready ? ExitCodes.Success : ExitCodes.Failure;
            },
            cancellationToken));
        return command;
    }
}
