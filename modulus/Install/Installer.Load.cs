using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;

namespace Modulus.Install;

/// <summary>
/// Loading: the artifact's modules in manifest order, each after the in-tree modules it depends on (resolved from
/// the host's modules.dep), nvidia-peermem only where the node can take it. What this run loaded is remembered, so
/// that a failure unloads it again and restores the firmware search path (<see cref="RollBack"/>).
/// </summary>
internal sealed partial class Installer
{
    private const string Peermem = "nvidia_peermem";
    private const int ENODEV = 19;
    private const int ENOKEY = 126;
    private const int EKEYREJECTED = 129;

    /// <summary>Modules an install may leave out (peermem where the node has no InfiniBand core).</summary>
    public static readonly string[] OptionalModules = [Peermem];

    private readonly List<string> loadedByThisRun = [];
    private string? firmwarePathBefore;

    /// <summary>The artifact's modules this node loads: all of them, but nvidia-peermem only as the policy and the node allow.</summary>
    private IReadOnlyList<ModuleEntry> PlanModules(string entry, Manifest manifest, HostModuleIndex index)
    {
        var plan = new List<ModuleEntry>();
        foreach (var module in manifest.Modules)
        {
            if (module.Name != Peermem || request.Peermem == "always")
            {
                plan.Add(module);
                continue;
            }

            if (request.Peermem == "never")
            {
                logger.LogInformation("Not loading {Module} (--peermem never)", module.Name);
                continue;
            }

            var missing = ExternalDependencies(entry, manifest, module).Append("ib_core").Distinct()
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

    private void LoadModules(string entry, Manifest manifest, IReadOnlyList<ModuleEntry> plan, HostModuleIndex index, IKernelLogReader? kernelLog)
    {
        var firmware = Path.Combine(entry, "firmware");
        if (Directory.Exists(firmware))
        {
            Step($"set the firmware search path to {firmware}", () =>
            {
                firmwarePathBefore = modules.GetFirmwarePath();
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
                Step($"load the in-tree module {name} from {path} (needed by {module.Name})", () => Load(name, path, string.Empty, null, kernelLog));
            }

            if (modules.Get(module.Name) is not null)
            {
                logger.LogInformation("{Module} is loaded already", module.Name);
                continue;
            }

            var parameters = request.ModuleParameters.GetValueOrDefault(module.Name, string.Empty);
            var optional = module.Name == Peermem && request.Peermem == "auto";
            Step($"load {module.Name} from {module.Path}{(parameters.Length == 0 ? string.Empty : " with " + parameters)}", () =>
            {
                try
                {
                    Load(module.Name, Path.Combine(entry, module.Path), parameters, manifest, kernelLog);
                }
                catch (ModulusException e) when (optional)
                {
                    logger.LogWarning("{Module} did not load ({Error}); GPUDirect RDMA stays unavailable, the driver works without it (--peermem always makes this an error)", module.Name, e.Message);
                }
            });
        }
    }

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

    private void Load(string name, string path, string parameters, Manifest? manifest, IKernelLogReader? kernelLog)
    {
        try
        {
            modules.Load(path, parameters);
            loadedByThisRun.Add(name);
        }
        catch (IOException e)
        {
            var said = kernelLog?.ReadNew() ?? [];
            throw LoadFailure(name, path, e, said, manifest);
        }
    }

    /// <summary>What failed, with the kernel's own words: ENODEV from nvidia means the node has no GPU the driver can drive.</summary>
    private static ModulusException LoadFailure(string name, string path, IOException e, IReadOnlyList<string> said, Manifest? manifest)
    {
        var nvrm = said.Where(l => l.StartsWith("NVRM:", StringComparison.Ordinal)).ToList();
        var relevant = said.Where(l => l.StartsWith("NVRM:", StringComparison.Ordinal) || l.Contains(name, StringComparison.Ordinal) ||
            l.Contains(name.Replace('_', '-'), StringComparison.Ordinal) || l.Contains("Unknown symbol", StringComparison.Ordinal) ||
            l.Contains("is rejected", StringComparison.Ordinal)).TakeLast(12).ToList();
        var kernelSays = said.Count == 0
            ? " The kernel log could not be read here; see dmesg on the node."
            : relevant.Count == 0 ? $" The kernel log says: {string.Join(" | ", said.TakeLast(5))}" : $" The kernel log says: {string.Join(" | ", relevant)}";
        if (name == "nvidia" && e.HResult == ENODEV)
        {
            return new ModulusException(
                $"no NVIDIA GPU was found: the kernel refused {Path.GetFileName(path)} with ENODEV (errno 19).{(nvrm.Count > 0 ? " The kernel says: " + string.Join(" | ", nvrm) : kernelSays)} " +
                "Run the installer only on GPU nodes (check the node pool's nodeAffinity), and check that the GPU is attached and visible (lspci -d 10de:).");
        }

        if (e.HResult is EKEYREJECTED or ENOKEY && manifest is not null)
        {
            var signed = manifest.Build.ModuleSigner is { } signer ? $"it is signed by {signer}, which this kernel does not trust" : "it is not signed";
            return new ModulusException(
                $"the kernel refused {Path.GetFileName(path)} ({e.Message}): it loads only modules signed by a key it trusts (module.sig_enforce=1, or Secure Boot lockdown), and {signed}.{kernelSays} " +
                "Sign the modules at compile time (compile --module-signing-key/--module-signing-cert, chart moduleSigning.secret) with a key the nodes trust (enrolled as a MOK or in the firmware's db).");
        }

        var what = manifest is null
            ? $"the in-tree module {name} from {path}"
            : $"{name} of {manifest.Key}, built for '{manifest.Modules.First(m => m.Name == name).Vermagic.Trim()}'";
        return new ModulusException($"{e.Message}: loading {what} failed.{kernelSays}");
    }

    /// <summary>After a failed install: unloads what this run loaded (newest first) and restores the firmware search path.</summary>
    private void RollBack()
    {
        foreach (var name in Enumerable.Reverse(loadedByThisRun).ToList())
        {
            try
            {
                modules.Unload(name);
                logger.LogWarning("Rolled back: unloaded {Module:l}, which this run had loaded", name);
            }
            catch (IOException e)
            {
                logger.LogError("Rolling back: could not unload {Module} ({Error}); it stays loaded", name, e.Message);
            }
        }

        loadedByThisRun.Clear();
        if (firmwarePathBefore is not null)
        {
            modules.SetFirmwarePath(firmwarePathBefore);
            logger.LogWarning("Rolled back: firmware search path restored to '{Path:l}'", firmwarePathBefore);
            firmwarePathBefore = null;
        }
    }
}
