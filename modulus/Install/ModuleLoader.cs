using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;

namespace Modulus.Install;

/// <summary>
/// Loading: the artifact's modules in manifest order, each after the in-tree modules it depends on (resolved from
/// the host's modules.dep), nvidia-peermem only as the policy and the node allow. Every load is recorded in the
/// run's <see cref="RollbackJournal"/>, so that a failure unloads it again.
/// </summary>
internal sealed class ModuleLoader(IKernelModules modules, ILogger logger)
{
    /// <summary>The artifact's modules this node loads: all of them, but nvidia-peermem only as the policy and the node allow.</summary>
    public IReadOnlyList<ModuleEntry> Plan(InstallRun run, Manifest manifest, HostModuleIndex index)
    {
        var plan = new List<ModuleEntry>();
        var policy = run.Request.Peermem;
        foreach (var module in manifest.Modules)
        {
            if (module.Name != NvidiaModules.Peermem || policy == PeermemPolicy.Always)
            {
                plan.Add(module);
                continue;
            }

            if (policy == PeermemPolicy.Never)
            {
                logger.LogInformation("Not loading {Module} (--peermem never)", module.Name);
                continue;
            }

            var missing = ExternalDependencies(run.Entry, manifest, module).Append("ib_core").Distinct()
                .Where(d => modules.Get(d) is null && !index.Contains(d)).ToList();
            if (missing.Count == 0)
            {
                plan.Add(module);
                continue;
            }

            logger.LogWarning(
                "Not loading {Module}: it needs the InfiniBand core ({Missing}, from MLNX OFED), which this node has neither loaded nor in {Index}. " +
                "GPUDirect RDMA stays unavailable; everything else works. Install MLNX OFED on the node image, or pass --peermem always to load it anyway.",
                module.Name, string.Join(", ", missing), index.Directory);
        }

        return plan;
    }

    /// <summary>Sets the firmware path to the artifact's GSP firmware and loads <paramref name="plan"/>.</summary>
    public void Load(InstallRun run, Manifest manifest, IReadOnlyList<ModuleEntry> plan, HostModuleIndex index, IKernelLogReader? kernelLog)
    {
        // The new entry's own firmware (the driver link still names the old one while the modules load), as the host's kernel sees it.
        var entry = run.Entry;
        var firmwareHere = Path.Combine(entry, ArtifactLayout.Of(manifest).Firmware);
        var firmware = run.Host.OnHost(firmwareHere);
        if (Directory.Exists(firmwareHere))
        {
            run.Do($"set the firmware search path to {firmware}", () =>
            {
                run.Journal.FirmwarePathChanged(modules.GetFirmwarePath());
                if (!modules.SetFirmwarePath(firmware))
                {
                    logger.LogWarning("This kernel has no firmware_class path parameter; GSP firmware must be under /lib/firmware");
                }
            });
        }

        foreach (var module in plan)
        {
            foreach (var (name, path) in InTreeDependencies(entry, manifest, module, index))
            {
                run.Do($"load the in-tree module {name} from {path} (needed by {module.Name})", () => LoadOne(run, name, path, string.Empty, null, kernelLog));
            }

            if (modules.Get(module.Name) is not null)
            {
                logger.LogInformation("{Module} is loaded already", module.Name);
                continue;
            }

            var parameters = run.Request.ModuleParameters.GetValueOrDefault(module.Name, string.Empty);
            var optional = IsOptional(run, module.Name);
            run.Do($"load {module.Name} from {module.Path}{(parameters.Length == 0 ? string.Empty : " with " + parameters)}", () =>
            {
                try
                {
                    LoadOne(run, module.Name, Path.Combine(entry, module.Path), parameters, manifest, kernelLog);
                }
                catch (ModulusException e) when (optional)
                {
                    logger.LogWarning("{Module} did not load ({Error}); GPUDirect RDMA stays unavailable, the driver works without it (--peermem always makes this an error)", module.Name, e.Message);
                }
            });
        }
    }

    /// <summary>A module whose failure to load does not fail the install (peermem with --peermem auto).</summary>
    public static bool IsOptional(InstallRun run, string module) => module == NvidiaModules.Peermem && run.Request.Peermem == PeermemPolicy.Auto;

    /// <summary>The modules <paramref name="module"/> needs from outside the artifact: modinfo depends not among the artifact's own.</summary>
    private static IEnumerable<string> ExternalDependencies(string entry, Manifest manifest, ModuleEntry module)
    {
        var depends = module.Depends ?? ReadDepends(Path.Combine(entry, module.Path));
        return depends.Where(d => manifest.Modules.All(m => m.Name != d));
    }

    /// <summary>Manifests written before <c>depends</c> was recorded: read it from the module itself.</summary>
    private static IReadOnlyList<string> ReadDepends(string path)
    {
        try
        {
            return File.Exists(path) ? KernelModuleInfo.Read(path).Depends : [];
        }
        catch (InvalidDataException)
        {
            return [];
        }
    }

    /// <summary>The in-tree modules to load before <paramref name="module"/>, dependencies first, skipping what is loaded.</summary>
    private List<(string Name, string Path)> InTreeDependencies(string entry, Manifest manifest, ModuleEntry module, HostModuleIndex index)
    {
        var order = new List<(string Name, string Path)>();
        foreach (var dependency in ExternalDependencies(entry, manifest, module))
        {
            if (modules.Get(dependency) is not null)
            {
                continue;
            }

            var chain = index.LoadOrder(dependency) ?? throw new ModulusException(
                $"{module.Name} needs the kernel module {dependency}, which is not loaded and not in {Path.Combine(index.Directory, "modules.dep")}. " +
                $"The node's kernel {manifest.KernelRelease} must ship it (CONFIG for {dependency} =m or =y); check that the artifact was built for this node's kernel and that {index.Directory} is the host's module tree.");
            order.AddRange(chain.Where(c => modules.Get(c.Name) is null && order.All(o => o.Name != c.Name)));
        }

        return order;
    }

    private void LoadOne(InstallRun run, string name, string path, string parameters, Manifest? manifest, IKernelLogReader? kernelLog)
    {
        try
        {
            modules.Load(path, parameters);
            run.Journal.ModuleLoaded(name);
        }
        catch (IOException e)
        {
            throw LoadFailure.Explain(name, path, e, kernelLog?.ReadNew() ?? [], manifest);
        }
    }
}
