using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Processes;

namespace Modulus.Install;

internal sealed partial class Installer
{
    /// <summary>
    /// Another version is loaded: stop nvidia-persistenced, refuse (exit 4) when anything but the modules' own
    /// dependents holds them, else unload in reverse load order.
    /// </summary>
    private async Task UnloadOtherVersionAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var live = LinkedEntry() is { } linked ? TryReadCachedManifest(linked) : null;
        var names = (live?.Modules.Select(m => m.Name) ?? []).Concat(NvidiaModules).Distinct().ToList();
        var loaded = names.Select(modules.Get).OfType<LoadedModule>().ToList();
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

        await StopPersistencedAsync(cancellationToken);

        loaded = [.. names.Select(modules.Get).OfType<LoadedModule>()];
        var busy = loaded.Where(m => m.Users > 0).ToList();
        if (busy.Count > 0 && upgrader is not null && !request.DryRun)
        {
            // In-place upgrade: the node is cordoned and its GPU pods evicted, then the driver's users go.
            upgrading = true;
            try
            {
                await upgrader.PrepareAsync(version, key.Version, cancellationToken);
                busy = await WaitForUsersToLeaveAsync(names, cancellationToken);
            }
            catch (ModulusException e) when (e.ExitCode != ExitCodes.DriverInUse)
            {
                await upgrader.FailAsync(e.Message, CancellationToken.None);
                throw;
            }

            loaded = [.. names.Select(modules.Get).OfType<LoadedModule>()];
        }

        if (busy.Count > 0)
        {
            var inUse = new ModulusException(
                $"cannot replace driver {version} with {key.Version}: it is in use: " +
                string.Join(", ", busy.Select(m => $"{m.Name} (refcount {m.RefCount}, {m.Users} user(s) beyond {(m.Holders.Count == 0 ? "no dependent modules" : "its dependents " + string.Join("/", m.Holders))})")) +
                (upgrading
                    ? ", though its GPU pods were evicted: something outside Kubernetes holds it (a process on the host, nvidia-persistenced). Stop it, then run the installer again."
                    : ". Stop the GPU workloads on this node (drain it), enable the chart's upgradePolicy, or roll the new version out with a new node pool, then run the installer again."),
                ExitCodes.DriverInUse);
            if (upgrading)
            {
                await upgrader!.FailAsync(inUse.Message, CancellationToken.None);
            }

            throw inUse;
        }

        // Reverse load order: dependents first.
        var order = ModuleLoadOrder.Sort(loaded, m => m.Name, m => m.Holders);
        foreach (var module in order)
        {
            Step($"unload {module.Name} {module.Version}", () =>
            {
                try
                {
                    modules.Unload(module.Name);
                }
                catch (IOException e) when (e.HResult == 11 || e.HResult == 16)
                {
                    throw new ModulusException($"cannot unload {module.Name}: it became busy ({e.Message}). Stop the GPU workloads on this node, then run the installer again.", ExitCodes.DriverInUse);
                }
            });
        }
    }

    /// <summary>After the GPU pods were evicted: waits (bounded) until nothing but the modules' own dependents holds them.</summary>
    private async Task<List<LoadedModule>> WaitForUsersToLeaveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var busy = names.Select(modules.Get).OfType<LoadedModule>().Where(m => m.Users > 0).ToList();
            if (busy.Count == 0 || DateTimeOffset.UtcNow > deadline)
            {
                return busy;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private async Task StopPersistencedAsync(CancellationToken cancellationToken)
    {
        var pidFile = HostPath("var/run/nvidia-persistenced/nvidia-persistenced.pid");
        if (!File.Exists(pidFile) || !int.TryParse((await File.ReadAllTextAsync(pidFile, cancellationToken)).Trim(), out var pid) || !Directory.Exists($"/proc/{pid}"))
        {
            return;
        }

        await StepAsync($"stop nvidia-persistenced (pid {pid})", async () =>
        {
            NativeSignals.Kill(pid, NativeSignals.SIGTERM);
            for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
            {
                await Task.Delay(100, cancellationToken);
            }
        });
    }
}
