using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Drivers;

namespace Modulus.Install;

/// <summary>
/// Runs NVIDIA's fabric manager for the live driver on an NVSwitch node (<c>modulus fabric-manager</c>, the chart's
/// <c>fabric-manager</c> container), as Garden Linux's installer does (<c>resources/install_fabricmanager.sh</c>):
/// the live artifact's <c>fabricmanager.cfg</c> with <c>DAEMONIZE=0</c>, logging to stderr and the topology files of
/// the artifact, then <c>nv-fabricmanager -c</c> in the foreground until it ends or the container is stopped. Garden
/// Linux's installer decides by GPU name (A100, H100, H200, B100/B200); this decides by what the node has: NVIDIA
/// PCI devices of class 0x0680 (the NVSwitches). A node without one needs no fabric manager: it waits for the stop.
/// </summary>
internal sealed class FabricManager(HostSettings host, ILogger logger)
{
    /// <summary>Exit code of the fabric manager, or 0 after a stop on a node without NVSwitch.</summary>
    public async Task<int> RunAsync(string stateDir, CancellationToken cancellationToken)
    {
        var switches = new SysfsPciScanner(host.HostRoot).NvSwitches();
        if (switches.Count == 0)
        {
            logger.LogInformation("No NVSwitch on this node ({Devices}): the fabric manager is not needed; waiting until the container is stopped",
                host.HostPath("/sys/bus/pci/devices"));
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            return ExitCodes.Success;
        }

        var entry = new DriverLink(host).LiveEntry()
            ?? throw new ModulusException($"this node has {switches.Count} NVSwitch(es) ({string.Join(", ", switches)}), but no driver is linked at {new DriverLink(host).HostPath}: the installer makes the driver live first");
        var program = Path.Combine(entry, "bin", FabricManagerPackage.Program);
        var config = Path.Combine(entry, FabricManagerPackage.ShareDirectory, FabricManagerPackage.Config);
        if (!File.Exists(program) || !File.Exists(config))
        {
            throw new ModulusException(
                $"this node has {switches.Count} NVSwitch(es) ({string.Join(", ", switches)}), and the live artifact {entry} carries no fabric manager: " +
                "without it CUDA cannot use the GPUs here. Compile the artifact with --fabric-manager-package (NVIDIA's nvidia-fabricmanager .deb of the same driver version).");
        }

        Directory.CreateDirectory(stateDir);
        var written = Path.Combine(stateDir, FabricManagerPackage.Config);
        await File.WriteAllLinesAsync(written, Configure(await File.ReadAllLinesAsync(config, cancellationToken), Path.Combine(entry, FabricManagerPackage.ShareDirectory), stateDir), cancellationToken);
        logger.LogInformation("{Count} NVSwitch(es) on this node ({Switches}): starting {Program} -c {Config}", switches.Count, string.Join(", ", switches), program, written);

        using var process = new Process { StartInfo = new ProcessStartInfo(program) { UseShellExecute = false } };
        process.StartInfo.ArgumentList.Add("-c");
        process.StartInfo.ArgumentList.Add(written);
        foreach (var secret in ProcessSpec.SecretVariables)
        {
            process.StartInfo.Environment.Remove(secret);
        }

        try
        {
            process.Start(); // stdout and stderr are the container's: its log is the fabric manager's
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ModulusException($"cannot start {program} from the live artifact: {e.Message}. Is the artifact intact (modulus verify --cache-dir)?");
        }

        await using (cancellationToken.Register(() => NativeSignals.Kill(process.Id, NativeSignals.SIGTERM)))
        {
            await process.WaitForExitAsync(CancellationToken.None);
        }

        logger.Log(process.ExitCode == 0 || cancellationToken.IsCancellationRequested ? LogLevel.Information : LogLevel.Error,
            "{Program} exited with {Code}", FabricManagerPackage.Program, process.ExitCode);
        return cancellationToken.IsCancellationRequested ? ExitCodes.Success : process.ExitCode;
    }

    /// <summary>NVIDIA's configuration with what a container needs: in the foreground, logging to stderr, this artifact's topology files, state in the state dir.</summary>
    public static IEnumerable<string> Configure(IEnumerable<string> lines, string topology, string stateDir)
    {
        var set = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DAEMONIZE"] = "0",
            ["LOG_FILE_NAME"] = string.Empty,
            ["TOPOLOGY_FILE_PATH"] = topology,
            ["STATE_FILE_NAME"] = Path.Combine(stateDir, "fabricmanager.state"),
        };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var name = line.Split('=', 2)[0].Trim();
            if (!line.TrimStart().StartsWith('#') && line.Contains('=', StringComparison.Ordinal) && set.TryGetValue(name, out var value))
            {
                seen.Add(name);
                yield return $"{name}={value}";
            }
            else
            {
                yield return line;
            }
        }

        foreach (var (name, value) in set.Where(s => !seen.Contains(s.Key)))
        {
            yield return $"{name}={value}";
        }
    }
}
