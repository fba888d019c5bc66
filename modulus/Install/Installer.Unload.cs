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
        if (busy.Count > 0)
        {
            throw new ModulusException(
                $"cannot replace driver {version} with {key.Version}: it is in use: " +
                string.Join(", ", busy.Select(m => $"{m.Name} (refcount {m.RefCount}, {m.Users} user(s) beyond {(m.Holders.Count == 0 ? "no dependent modules" : "its dependents " + string.Join("/", m.Holders))})")) +
                ". Stop the GPU workloads on this node (drain it), or roll the new version out with a new node pool, then run the installer again.",
                ExitCodes.DriverInUse);
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
