using Modulus.Cache;
using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Install;

/// <summary>
/// <c>modulus install</c> (docs/install.md): makes the driver live on this node. Every host access goes through
/// the narrow interfaces it is given, and every change is a <see cref="Step"/> that <c>--dry-run</c> only prints.
/// </summary>
internal sealed partial class Installer(
    IKernelModules modules,
    IDeviceNodes devices,
    IPciScanner pci,
    IKernelLog kernelLog,
    IProcessRunner runner,
    IArtifactStore? store,
    Func<CancellationToken, Task<string>>? compile,
    ILogger logger,
    Upgrade.InPlaceUpgrader? upgrader = null)
{
    /// <summary>NVIDIA's modules in load order; unloading goes the other way.</summary>
    public static readonly string[] NvidiaModules = ["nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm", "nvidia_peermem"];

    private readonly List<string> steps = [];
    private long bytesFetched;
    private bool upgrading;
    private InstallRequest request = null!;

    /// <summary>
    /// One plan, acquire then swap: read the node's state, get the new artifact into the cache and verify it, and
    /// only then stop persistenced, unload the old driver and load the new one. A failure before the swap leaves
    /// the running driver untouched; one after it unloads what this run loaded and restores the firmware path.
    /// </summary>
    public async Task<InstallOutcome> InstallAsync(InstallRequest install, CancellationToken cancellationToken)
    {
        request = install;
        var key = install.Key;
        var entry = new HostCache(install.CacheDir).EntryPath(key);
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Driver"] = key.Name, ["DriverVersion"] = key.Version, ["GardenlinuxVersion"] = key.GardenlinuxVersion, ["Kernel"] = key.KernelRelease,
        });
        logger.LogInformation("Installing {Artifact}{DryRun}", key, install.DryRun ? " (dry run: nothing is changed)" : string.Empty);

        var gpus = pci.NvidiaGpus();
        if (gpus.Count == 0 && !install.SkipGpuCheck)
        {
            logger.LogWarning("This node has no NVIDIA GPU (no PCI display/3D function of vendor 10de under {Sys}): nothing is loaded", HostPath("sys/bus/pci/devices"));
            return new InstallOutcome(entry, AlreadyInstalled: false, steps) { NoGpu = true };
        }

        var cached = TryReadCachedManifest(entry);
        var wanted = (cached?.Modules.Select(m => m.Name) ?? NvidiaModules)
            .Where(m => request.Peermem == "always" || !OptionalModules.Contains(m)).ToList();
        if (IsLive(key, entry, wanted))
        {
            logger.LogInformation("{Artifact} is loaded already and its device nodes are present; nothing to do", key.ArtifactName);
            return new InstallOutcome(entry, AlreadyInstalled: true, steps);
        }

        // Acquire: nothing on the node changes until the new artifact is verified in the cache.
        CleanStaging();
        var manifest = await EnsureArtifactAsync(key, entry, cancellationToken);
        var index = new HostModuleIndex(request.HostRoot, key.KernelRelease);
        var plan = manifest is null ? [] : PlanModules(entry, manifest, index);

        // Swap.
        await UnloadOtherVersionAsync(key, cancellationToken);
        if (manifest is null)
        {
            steps.Add("load the compiled artifact's modules, create device nodes, validate, link the driver path (they depend on the compiled artifact)");
            return new InstallOutcome(entry, AlreadyInstalled: false, steps);
        }

        using (var log = request.DryRun ? null : kernelLog.Follow())
        {
            try
            {
                LoadModules(entry, manifest, plan, index, log);
                await CreateDeviceNodesAsync(entry, gpus.Count, cancellationToken);
                await ValidateAsync(entry, plan, gpus.Count, cancellationToken);
            }
            catch (Exception e) when (e is ModulusException or IOException or OperationCanceledException)
            {
                RollBack();
                if (upgrading)
                {
                    await upgrader!.FailAsync($"installing {key.Version} failed: {e.Message}", CancellationToken.None);
                }

                throw;
            }
        }

        if (upgrading)
        {
            await upgrader!.CompleteAsync(key.Version, cancellationToken);
        }

        LinkHostDriverPath(entry);
        await RunLdconfigAsync(cancellationToken);
        await StartPersistencedAsync(entry, cancellationToken);
        RemoveOldCacheEntries(entry);
        if (!install.DryRun)
        {
            logger.LogInformation("{Artifact} is live: {Modules} loaded, {Gpus} GPU(s)", key.ArtifactName, string.Join(", ", plan.Select(m => m.Name)), gpus.Count);
        }

        return new InstallOutcome(entry, AlreadyInstalled: false, steps) { BytesFetched = bytesFetched };
    }

    /// <summary>Does <paramref name="change"/> and records it; with --dry-run only records it (the command prints the plan).</summary>
    private void Step(string description, Action change)
    {
        steps.Add(description);
        if (request.DryRun)
        {
            return;
        }

        logger.LogInformation("{Step:l}", description);
        change();
    }

    private async Task StepAsync(string description, Func<Task> change)
    {
        steps.Add(description);
        if (request.DryRun)
        {
            return;
        }

        logger.LogInformation("{Step:l}", description);
        await change();
    }

    /// <summary>The wanted version is loaded (or, for modules without a version, this entry is the linked one) and the nodes exist.</summary>
    private bool IsLive(ArtifactKey key, string entry, IReadOnlyList<string> wanted)
    {
        var loaded = wanted.Select(modules.Get).ToList();
        if (loaded.Count == 0 || loaded.Any(m => m is null))
        {
            return false;
        }

        var primary = loaded[0]!;
        var sameVersion = primary.Version is not null ? primary.Version == key.Version : LinkedEntry() == entry;
        return sameVersion && (!wanted.Contains("nvidia") || devices.Exists("nvidiactl"));
    }

    private string HostPath(params string[] parts) => Path.Combine([request.HostRoot, .. parts.Select(p => p.TrimStart('/'))]);

    private string DriverLink => HostPath(request.HostDriverPath, "nvidia");

    /// <summary>The cache entry the host driver path links to, as seen from here.</summary>
    private string? LinkedEntry()
    {
        var target = new FileInfo(DriverLink).LinkTarget;
        return target is null ? null : Path.GetFullPath(target);
    }

    private static Manifest? TryReadCachedManifest(string entry)
    {
        try
        {
            return File.Exists(Path.Combine(entry, Manifest.FileName))
                ? ManifestFile.Parse(File.ReadAllBytes(Path.Combine(entry, Manifest.FileName)), entry)
                : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private void CleanStaging()
    {
        var staging = new HostCache(request.CacheDir).Staging;
        if (Directory.Exists(staging) && Directory.EnumerateFileSystemEntries(staging).Any())
        {
            Step($"remove leftovers in {staging}", () =>
            {
                foreach (var leftover in Directory.EnumerateFileSystemEntries(staging))
                {
                    if (Directory.Exists(leftover))
                    {
                        Directory.Delete(leftover, recursive: true);
                    }
                    else
                    {
                        File.Delete(leftover);
                    }
                }
            });
        }
    }
}
