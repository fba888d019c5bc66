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
    ILogger logger)
{
    /// <summary>NVIDIA's modules in load order; unloading goes the other way.</summary>
    public static readonly string[] NvidiaModules = ["nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm", "nvidia_peermem"];

    private readonly List<string> steps = [];
    private InstallRequest request = null!;

    public async Task<InstallOutcome> InstallAsync(InstallRequest install, CancellationToken cancellationToken)
    {
        request = install;
        var key = new ArtifactKey(install.DriverName, install.DriverVersion, install.ModuleType, install.Arch, install.GardenlinuxVersion, install.KernelRelease);
        var entry = Path.Combine(install.CacheDir, key.CachePath);
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Driver"] = key.Name, ["DriverVersion"] = key.Version, ["GardenlinuxVersion"] = key.GardenlinuxVersion, ["Kernel"] = key.KernelRelease,
        });
        logger.LogInformation("Installing {Artifact}{DryRun}", key, install.DryRun ? " (dry run: nothing is changed)" : string.Empty);

        var cached = TryReadCachedManifest(entry);
        var wanted = (cached?.Modules.Select(m => m.Name) ?? NvidiaModules)
            .Where(m => request.Peermem == "always" || !OptionalModules.Contains(m)).ToList();
        if (IsLive(key, entry, wanted))
        {
            logger.LogInformation("{Artifact} is loaded already and its device nodes are present; nothing to do", key.ArtifactName);
            return new InstallOutcome(entry, AlreadyInstalled: true, steps);
        }

        await UnloadOtherVersionAsync(key, cancellationToken);
        CleanStaging();
        var manifest = await EnsureArtifactAsync(key, entry, cancellationToken);
        if (manifest is null)
        {
            await Console.Out.WriteLineAsync("(the remaining steps depend on the compiled artifact)");
            return new InstallOutcome(entry, AlreadyInstalled: false, steps);
        }

        var index = new HostModuleIndex(request.HostRoot, install.KernelRelease);
        var plan = PlanModules(entry, manifest, index);
        var gpus = pci.CountNvidiaGpus();
        using (var log = request.DryRun ? null : kernelLog.Follow())
        {
            try
            {
                LoadModules(entry, manifest, plan, index, log);
                await CreateDeviceNodesAsync(entry, gpus, cancellationToken);
                await ValidateAsync(entry, plan, gpus, cancellationToken);
            }
            catch (Exception e) when (e is ModulusException or IOException or OperationCanceledException)
            {
                RollBack();
                throw;
            }
        }

        LinkHostDriverPath(entry);
        await StartPersistencedAsync(entry, cancellationToken);
        RemoveOldCacheEntries(entry);
        if (install.DryRun)
        {
            logger.LogInformation("Dry run: {Steps} step(s) planned for {Artifact}; nothing was changed", steps.Count, key.ArtifactName);
        }
        else
        {
            logger.LogInformation("{Artifact} is live: {Modules} loaded, {Gpus} GPU(s)", key.ArtifactName, string.Join(", ", plan.Select(m => m.Name)), gpus);
        }

        return new InstallOutcome(entry, AlreadyInstalled: false, steps);
    }

    /// <summary>Does <paramref name="change"/>, or with --dry-run only says it would.</summary>
    private void Step(string description, Action change)
    {
        steps.Add(description);
        if (request.DryRun)
        {
            Console.Out.WriteLine("would " + description);
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
            await Console.Out.WriteLineAsync("would " + description);
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
        var staging = Path.Combine(request.CacheDir, ".staging");
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
