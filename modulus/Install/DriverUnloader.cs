using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Native;
using Modulus.Core.Processes;

namespace Modulus.Install;

/// <summary>
/// Takes another loaded driver version out: stops nvidia-persistenced, refuses (exit 4) when anything but the
/// modules' own dependents holds them — unless an <see cref="IUpgradeGate"/> may take the node out of service first
/// — and unloads in reverse load order.
/// </summary>
internal sealed class DriverUnloader(IKernelModules modules, IUpgradeGate? gate, ILogger logger)
{
    private static readonly TimeSpan UsersLeaveTimeout = TimeSpan.FromMinutes(2);

    public async Task UnloadOtherVersionAsync(InstallRun run, DriverLink link, CancellationToken cancellationToken)
    {
        var key = run.Key;
        var live = link.LiveEntry() is { } linked ? ArtifactAcquirer.TryReadCached(linked) : null;
        var names = (live?.Modules.Select(m => m.Name) ?? []).Concat(NvidiaModules.All).Distinct().ToList();
        var loaded = Loaded(names);
        if (loaded.Count == 0)
        {
            return;
        }

        var version = loaded.Select(m => m.Version).FirstOrDefault(v => v is not null) ?? live?.Driver.Version ?? "unknown";
        logger.LogInformation("{Modules} loaded at version {Version}; replacing it with {Wanted}", string.Join(", ", loaded.Select(m => m.Name)), version, key.Version);
        var stuck = loaded.Where(m => !m.Unloadable).ToList();
        if (stuck.Count > 0)
        {
            throw new ModulusException(
                $"cannot replace driver {version} with {key.Version}: this kernel cannot unload modules ({string.Join(", ", stuck.Select(m => m.Name))} " +
                $"loaded, and /sys/module/{stuck[0].Name} has no refcnt: the kernel is built without CONFIG_MODULE_UNLOAD). " +
                $"Reboot the node so that {key.Version} loads first, or roll {key.Version} out with a new node pool.",
                ExitCodes.DriverInUse);
        }

        await StopPersistencedAsync(run, cancellationToken);

        var busy = Busy(names);
        if (busy.Count > 0 && gate is not null && !run.DryRun)
        {
            // In-place upgrade: the node is cordoned and its GPU pods evicted, then the driver's users go.
            run.Upgrade = await gate.BeginAsync(version, key.Version, cancellationToken);
            busy = await WaitForUsersToLeaveAsync(names, cancellationToken);
        }

        if (busy.Count > 0)
        {
            throw new ModulusException(
                $"cannot replace driver {version} with {key.Version}: it is in use: " +
                string.Join(", ", busy.Select(m => $"{m.Name} (refcount {m.RefCount}, {m.Users} user(s) beyond {(m.Holders.Count == 0 ? "no dependent modules" : "its dependents " + string.Join("/", m.Holders))})")) +
                (run.Upgrade is not null
                    ? ", though its GPU pods were evicted: something outside Kubernetes holds it (a process on the host, nvidia-persistenced). Stop it, then run the installer again."
                    : ". Stop the GPU workloads on this node (drain it), enable the chart's upgradePolicy, or roll the new version out with a new node pool, then run the installer again."),
                ExitCodes.DriverInUse);
        }

        // Reverse load order: dependents first.
        foreach (var module in ModuleLoadOrder.Sort(Loaded(names), m => m.Name, m => m.Holders))
        {
            run.Do($"unload {module.Name} {module.Version}", () =>
            {
                try
                {
                    modules.Unload(module.Name);
                }
                catch (IOException e) when (e.HResult is Errno.EAGAIN or Errno.EBUSY)
                {
                    throw new ModulusException($"cannot unload {module.Name}: it became busy ({e.Message}). Stop the GPU workloads on this node, then run the installer again.", ExitCodes.DriverInUse);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ModulusException(
                        $"cannot unload {module.Name} {module.Version}: {e.Message}. " +
                        (e.HResult == Errno.EPERM || e is UnauthorizedAccessException
                            ? "The kernel refuses module removal: is /proc/sys/kernel/modules_disabled 1, or does the container lack CAP_SYS_MODULE? Reboot the node so that the new version loads first, or roll it out with a new node pool."
                            : "Reboot the node so that the new version loads first, or roll it out with a new node pool."),
                        ExitCodes.DriverInUse);
                }
            });
        }
    }

    private List<LoadedModule> Loaded(IEnumerable<string> names) => [.. names.Select(modules.Get).OfType<LoadedModule>()];

    private List<LoadedModule> Busy(IEnumerable<string> names) => [.. Loaded(names).Where(m => m.Users > 0)];

    /// <summary>After the GPU pods were evicted: waits (bounded) until nothing but the modules' own dependents holds them.</summary>
    private async Task<List<LoadedModule>> WaitForUsersToLeaveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + UsersLeaveTimeout;
        while (true)
        {
            var busy = Busy(names);
            if (busy.Count == 0 || DateTimeOffset.UtcNow > deadline)
            {
                return busy;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private static async Task StopPersistencedAsync(InstallRun run, CancellationToken cancellationToken)
    {
        var pidFile = run.Host.HostPath("/var/run/nvidia-persistenced/nvidia-persistenced.pid");
        if (!File.Exists(pidFile) || !int.TryParse((await File.ReadAllTextAsync(pidFile, cancellationToken)).Trim(), out var pid) || !Directory.Exists($"/proc/{pid}"))
        {
            return;
        }

        await run.DoAsync($"stop nvidia-persistenced (pid {pid})", async () =>
        {
            NativeSignals.Kill(pid, NativeSignals.SIGTERM);
            for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
            {
                await Task.Delay(100, cancellationToken);
            }
        });
    }
}
