using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Storage;

namespace Modulus.Install;

/// <summary>The host as an install reaches it: the kernel's modules, /dev, the PCI bus, the kernel log, programs.</summary>
internal sealed record InstallHost(IKernelModules Modules, IDeviceNodes Devices, IPciScanner Pci, IKernelLog KernelLog, IProcessRunner Runner);

/// <summary>
/// <c>modulus install</c> (docs/install.md): makes the driver live on this node, as the list of its steps. Every host
/// access goes through <see cref="InstallHost"/>; every change is a step of the <see cref="InstallRun"/> that
/// <c>--dry-run</c> only records. Acquire, then swap: nothing on the node changes until the new artifact is verified
/// in the cache; a failure after the swap unloads what this run loaded and restores the firmware path.
/// </summary>
internal sealed class Installer(InstallHost host, IArtifactStore? store, IArtifactCompiler? compiler, ILogger logger, IUpgradeGate? upgrades = null, IDriverConsumers? consumers = null)
{
    private readonly ArtifactAcquirer acquirer = new(store, compiler, logger);
    private readonly DriverUnloader unloader = new(host.Modules, upgrades, logger);
    private readonly ModuleLoader loader = new(host.Modules, logger);
    private readonly IommuPassthrough iommu = new(logger);
    private readonly DeviceNodeMaker deviceNodes = new(host.Devices, host.Runner, logger);
    private readonly DriverValidator validator = new(host.Modules, host.Runner, logger);
    private readonly HostIntegration integration = new(host.Runner, logger);

    public async Task<InstallOutcome> InstallAsync(InstallRequest request, CancellationToken cancellationToken)
    {
        var run = new InstallRun(request, logger);
        var key = run.Key;
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Driver"] = key.Name, ["DriverVersion"] = key.Version, ["GardenlinuxVersion"] = key.GardenlinuxVersion, ["Kernel"] = key.KernelRelease,
        });
        logger.LogInformation("Installing {Artifact}{DryRun}", key, run.DryRun ? " (dry run: nothing is changed)" : string.Empty);

        // 1. A node without an NVIDIA GPU gets nothing.
        var gpus = host.Pci.NvidiaGpus();
        if (gpus.Count == 0 && !request.SkipGpuCheck)
        {
            logger.LogWarning("This node has no NVIDIA GPU (no PCI display/3D function of vendor 10de under {Sys}): nothing is loaded", run.Host.HostPath("/sys/bus/pci/devices"));
            return run.Outcome(noGpu: true);
        }

        // 2. Live already: nothing to do.
        var link = new DriverLink(run.Host);
        var wanted = (ArtifactAcquirer.TryReadCached(run.Entry)?.Modules.Select(m => m.Name) ?? NvidiaModules.All)
            .Where(m => request.Peermem == PeermemPolicy.Always || !NvidiaModules.Optional.Contains(m)).ToList();
        if (new LiveDriver(host.Modules, host.Devices, link).WhyNotLive(wanted, key.Version, run.Entry) is null)
        {
            logger.LogInformation("{Artifact} is loaded already and its device nodes are present; nothing to do", key.ArtifactName);
            if (!run.DryRun && consumers is not null)
            {
                await consumers.ResumeAsync(cancellationToken); // an install that stopped them may have been cut short
            }

            return run.Outcome(alreadyInstalled: true);
        }

        // 3. Acquire: the new artifact, verified in the cache.
        ArtifactAcquirer.CleanStaging(run);
        var manifest = await acquirer.AcquireAsync(run, cancellationToken);
        var index = new HostModuleIndex(request.HostRoot, key.KernelRelease);
        var plan = manifest is null ? [] : loader.Plan(run, manifest, index);

        // 4. Swap: what uses the driver's files off the node, another version out, this one in, its device nodes made, validated.
        if (consumers is not null)
        {
            await run.DoAsync($"take the driver's other users (the GPU Operator's operands) off the node until {key.Version} is live",
                () => consumers.StopAsync($"installing {key.ArtifactName}", cancellationToken));
        }

        try
        {
            await unloader.UnloadOtherVersionAsync(run, link, cancellationToken);
            if (manifest is null)
            {
                run.Defer("load the compiled artifact's modules, create device nodes, validate, link the driver path (they depend on the compiled artifact)");
                return run.Outcome();
            }

            using (var kernelLog = run.DryRun ? null : host.KernelLog.Follow())
            {
                try
                {
                    iommu.Apply(run, gpus);
                    loader.Load(run, manifest, plan, index, kernelLog);
                    await deviceNodes.CreateAsync(run, manifest, gpus.Count, cancellationToken);
                    await validator.ValidateAsync(run, manifest, plan, gpus.Count, cancellationToken);
                }
                catch (Exception e) when (e is ModulusException or IOException or OperationCanceledException)
                {
                    run.Journal.RollBack(host.Modules, logger);
                    throw;
                }
            }
        }
        catch (Exception e) when (run.Upgrade is not null)
        {
            // Any failure while the node is out of service for the upgrade ends in upgrade-failed with an Event, never a silent upgrade-in-progress.
            await run.Upgrade.FailAsync($"installing {key.Version} failed: {e.Message}", CancellationToken.None);
            throw;
        }

        if (run.Upgrade is not null)
        {
            await run.Upgrade.CompleteAsync(cancellationToken);
        }

        // 5. The host finds the live driver, its other users come back onto the new files; old cache entries go.
        await integration.IntegrateAsync(run, manifest, link, cancellationToken);
        if (consumers is not null)
        {
            await run.DoAsync("let the driver's other users (the GPU Operator's operands) back onto the node", () => consumers.ResumeAsync(cancellationToken));
        }

        ArtifactAcquirer.Prune(run);
        if (!run.DryRun)
        {
            logger.LogInformation("{Artifact} is live: {Modules} loaded, {Gpus} GPU(s)", key.ArtifactName, string.Join(", ", plan.Select(m => m.Name)), gpus.Count);
        }

        return run.Outcome();
    }
}
