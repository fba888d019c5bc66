using Microsoft.Extensions.Logging;
using Modulus.Drivers;

namespace Modulus.Install;

/// <summary>
/// Before the modules load: each NVIDIA GPU's IOMMU group to <c>identity</c> (passthrough), as Garden Linux's own
/// installer does (<c>set_nvidia_iommu_passthrough</c> in gardenlinux-nvidia-installer's
/// <c>load_install_gpu_driver.sh</c>). Garden Linux's kernels default to strict DMA translation
/// (<c>CONFIG_IOMMU_DEFAULT_DMA_STRICT=y</c>, <c>CONFIG_INTEL_IOMMU_DEFAULT_ON=y</c>), in which GPUs can raise
/// IO_PAGE_FAULTs while the driver loads and never get their device nodes. The kernel's interface is
/// <c>/sys/bus/pci/devices/&lt;bdf&gt;/iommu_group/type</c> (Documentation/ABI/testing/sysfs-kernel-iommu_groups); it
/// accepts the change only while no driver is bound to the group's devices, so a failure is a warning, never the
/// install's end. The links are followed only where they stay under the host's <c>/sys</c>.
/// </summary>
internal sealed class IommuPassthrough(ILogger logger)
{
    public const string Identity = "identity";

    public void Apply(InstallRun run, IReadOnlyList<PciGpu> gpus)
    {
        if (!run.Request.IommuPassthrough)
        {
            return;
        }

        foreach (var gpu in gpus)
        {
            string? type;
            try
            {
                type = GroupTypeFile(run.Host.HostRoot, gpu.Address);
            }
            catch (IOException e)
            {
                logger.LogWarning("Not switching GPU {Gpu}'s IOMMU group: {Error}", gpu, e.Message);
                continue;
            }

            if (type is null)
            {
                continue; // no IOMMU, or the device is not in a group: nothing translates its DMA
            }

            var current = File.ReadAllText(type).Trim();
            if (current == Identity)
            {
                continue;
            }

            run.Do($"switch GPU {gpu}'s IOMMU group from {current} to {Identity} ({run.Host.OnHost(type)})", () =>
            {
                try
                {
                    File.WriteAllText(type, Identity);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    logger.LogWarning(
                        "Could not switch GPU {Gpu}'s IOMMU group to {Identity} (it stays {Current}: {Error}); the kernel allows it only while no driver is bound to the group. " +
                        "If the driver then fails with IO_PAGE_FAULT, boot the node with iommu=pt, or set nvidiaInstaller.iommuPassthrough and unbind the GPU first",
                        gpu, Identity, current, e.Message);
                }
            });
        }
    }

    /// <summary>
    /// <c>&lt;host-root&gt;/sys/bus/pci/devices/&lt;address&gt;/iommu_group/type</c> with every link resolved as the kernel
    /// would, or null where there is none. A link that is absolute or leads out of the host's <c>/sys</c> is refused:
    /// it would name this container's files, not the host's.
    /// </summary>
    public static string? GroupTypeFile(string hostRoot, string address)
    {
        var sys = Path.GetFullPath(Path.Combine(hostRoot, "sys"));
        var resolved = ResolveInside(sys, Path.Combine("bus", "pci", "devices", address, "iommu_group", "type"));
        return resolved is not null && File.Exists(resolved) && resolved.StartsWith(Path.Combine(sys, "kernel", "iommu_groups") + "/", StringComparison.Ordinal)
            ? resolved
            : null;
    }

    private static string? ResolveInside(string root, string relative)
    {
        var pending = new Stack<string>(relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = root;
        for (var hops = 0; pending.Count > 0;)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current)!;
                if (current != root && !current.StartsWith(root + "/", StringComparison.Ordinal))
                {
                    throw new IOException($"a link under {root} leads out of it");
                }

                continue;
            }

            var next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (!info.Exists && !Directory.Exists(next) && info.LinkTarget is null)
            {
                return null;
            }

            if (info.LinkTarget is not { } target)
            {
                current = next;
                continue;
            }

            if (target.StartsWith('/') || ++hops > 40)
            {
                throw new IOException($"{next} is a link to {target}, which is not under {root}: refusing to follow it");
            }

            foreach (var piece in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(piece);
            }
        }

        return current;
    }
}
