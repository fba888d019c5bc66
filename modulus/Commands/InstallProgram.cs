using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Modulus.Compile;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Storage;
using Modulus.Upgrade;

namespace Modulus.Commands;

/// <summary>
/// <c>modulus install</c> put together: the node's artifact resolved, the store, the Kubernetes client, the fallback
/// compiler and the upgrade gate made from the settings, the <see cref="Installer"/> run, its outcome recorded
/// (<see cref="InstallRecorder"/>) and printed.
/// </summary>
internal static class InstallProgram
{
    public static async Task<int> RunAsync(InstallSettings settings, ILoggerFactory loggers, TextWriter output, CancellationToken cancellationToken)
    {
        var host = settings.Host;
        var node = settings.Kubernetes.NodeName;
        using var api = node is null ? null : KubernetesClientFactory.TryCreate(settings.Kubernetes.Kubeconfig, loggers.CreateLogger<KubernetesClient>());
        var reporter = api is null ? null : new NodeReporter(api, node!, loggers.CreateLogger<NodeReporter>());
        var pci = new SysfsPciScanner(host.HostRoot);
        var logger = loggers.CreateLogger<Installer>();
        var (key, moduleTypeReason) = await InstallTarget.ResolveAsync(settings.Artifact, host, pci, reporter, settings.DryRun, logger, cancellationToken);
        var request = new InstallRequest
        {
            Key = key, CacheDir = host.CacheDir, HostRoot = host.HostRoot, HostDriverPath = host.HostDriverPath, ModuleParameters = settings.ModuleParameters,
            Peermem = settings.Peermem, IommuPassthrough = settings.IommuPassthrough, DryRun = settings.DryRun, SkipGpuCheck = settings.SkipGpuCheck, StartPersistenced = settings.StartPersistenced,
            KeepCacheEntries = settings.KeepCacheEntries,
        };

        using var store = settings.Store is null ? null : StoreFactory.Open(settings.Store, loggers, writes: true);
        var runner = new ProcessRunner(loggers.CreateLogger<ProcessRunner>());
        var compiler = settings.Compile is { } compile
            ? new InstallCompiler(new Compiler(runner, new ArtifactWriter(loggers.CreateLogger<ArtifactWriter>()), loggers.CreateLogger<Compiler>()), compile, host.CacheDir, store, logger)
            : null;
        logger.LogInformation("Module type {ModuleType}: {Reason}", key.ModuleType.Name(), moduleTypeReason);
        var installer = new Installer(
            new InstallHost(new SysfsKernelModules(host.HostRoot, loggers.CreateLogger<SysfsKernelModules>()), new DevDeviceNodes(host.HostRoot), pci, new KmsgKernelLog(), runner),
            store, compiler, logger, UpgradeGate(settings.Upgrade, api, node, loggers),
            api is null ? null : new GpuOperatorOperands(api, node!, loggers.CreateLogger<GpuOperatorOperands>()));
        var recorder = new InstallRecorder(host.CacheDir, settings.DryRun ? null : reporter, logger);

        InstallOutcome outcome;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            outcome = await installer.InstallAsync(request, cancellationToken);
        }
        catch (ModulusException e) when (!request.DryRun)
        {
            await recorder.FailedAsync(key, e, stopwatch.Elapsed);
            throw;
        }

        if (outcome.NoGpu)
        {
            var why = $"no NVIDIA GPU on this node (no PCI display/3D function of vendor 10de): nothing was loaded; {key.Name} {key.Version} is not installed here. " +
                "Schedule the installer only on GPU node pools (nodeAffinity), or check that the GPU is attached.";
            if (!request.DryRun)
            {
                await recorder.NoGpuAsync(key, why, cancellationToken);
            }

            await output.WriteLineAsync(why);
            return ExitCodes.Success;
        }

        if (request.DryRun)
        {
            foreach (var step in outcome.Steps)
            {
                await output.WriteLineAsync("would " + step);
            }
        }
        else
        {
            await recorder.InstalledAsync(key, outcome, moduleTypeReason, stopwatch.Elapsed, cancellationToken);
        }

        await output.WriteLineAsync(outcome.AlreadyInstalled
            ? $"already installed: {key.Name} {key.Version} is live ({outcome.ArtifactDirectory})"
            : request.DryRun
                ? $"dry run: {outcome.Steps.Count} step(s) would be taken; nothing was changed"
                : $"installed: {key.Name} {key.Version} ({key.ModuleType.Name()}) is live ({outcome.ArtifactDirectory})");
        return ExitCodes.Success;
    }

    /// <summary>The in-place upgrader, or null when upgrades are off; it needs the node's name and the API.</summary>
    private static InPlaceUpgrader? UpgradeGate(UpgradePolicy? policy, KubernetesClient? api, string? node, ILoggerFactory loggers) => policy is null
        ? null
        : api is not null && node is not null
            ? new InPlaceUpgrader(api, api, node, policy, loggers.CreateLogger<InPlaceUpgrader>())
            : throw new InvalidInputException("--in-place-upgrade needs --node-name (MODULUS_NODE_NAME) and the Kubernetes API (a service account token or --kubeconfig)");
}
