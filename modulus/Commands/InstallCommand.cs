using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Compile;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Core.Validation;
using Modulus.Distribution;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus install</c>: make the driver live on this node (docs/install.md).</summary>
internal static class InstallCommand
{
    public static Command Create()
    {
        var driverVersion = CommonOptions.DriverVersion();
        var gardenlinuxVersion = CommonOptions.GardenlinuxVersion("Garden Linux version (default: <host-root>/etc/os-release)");
        var kernelVersion = CommonOptions.KernelVersion("Kernel release (default: the running kernel)");
        var driverName = CommonOptions.DriverName();
        var moduleType = CommonOptions.ModuleType();
        var arch = CommonOptions.Arch();
        var cacheDir = CommonOptions.CacheDir();
        var hostRoot = CommonOptions.HostRoot();
        var hostDriverPath = CommonOptions.HostDriverPath();
        var allowCompilation = new Option<bool>("--allow-compilation") { Description = "Compile through dev-builder when the store does not have the artifact" };
        var cmdDir = CommonOptions.CmdDir();
        var localBuilder = CommonOptions.LocalBuilder();
        var driverSource = new Option<string?>("--driver-source") { Description = "Driver source for compilation (see compile)" };
        var parameters = new Option<string?>("--module-parameters") { Description = "module.param=value items, space separated, e.g. nvidia.NVreg_EnableGpuFirmware=0" };
        var peermem = new Option<string>("--peermem")
        {
            Description = "nvidia-peermem: auto (load only where the node has the InfiniBand core, else warn), always (a failure fails the install), never",
            DefaultValueFactory = _ => "auto",
        };
        peermem.AcceptOnlyFromAmong("auto", "always", "never");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print every step that would be taken and change nothing" };
        var skipGpuCheck = new Option<bool>("--skip-gpu-check") { Description = "Load even where the PCI scan finds no NVIDIA GPU (VM tests; GPUs that are not PCI functions)" };
        var persistenced = new Option<bool>("--start-persistenced") { Description = "Start the artifact's nvidia-persistenced" };
        var keep = new Option<int>("--keep-cache-entries") { Description = "Cache entries kept besides the live one", DefaultValueFactory = _ => 2 };
        var nodeName = new Option<string?>("--node-name") { Description = "This node's name: label it and record events on it (the chart sets MODULUS_NODE_NAME)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig outside a pod (default: KUBECONFIG, ~/.kube/config)" };
        var upgrade = new UpgradeOptions();
        var store = new StoreOptions();
        var command = new Command("install", "Make the driver live on this node: fetch or compile, load, create device nodes, validate")
        {
            driverVersion, gardenlinuxVersion, kernelVersion, driverName, moduleType, arch, cacheDir, hostRoot, hostDriverPath,
            allowCompilation, cmdDir, localBuilder, driverSource, parameters, peermem, dryRun, skipGpuCheck, persistenced, keep, nodeName, kubeconfig,
        };
        store.AddTo(command);
        upgrade.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var root = Path.GetFullPath(InputValidator.Directory(parsed.GetValue(hostRoot), "--host-root"));
                var name = InputValidator.DriverName(parsed.GetValue(driverName));
                var version = InputValidator.DriverVersion(parsed.GetValue(driverVersion));
                using var api = parsed.GetValue(nodeName) is null ? null : KubernetesClientFactory.TryCreate(parsed.GetValue(kubeconfig), loggers.CreateLogger<KubernetesClient>());
                var reporter = api is null ? null : new NodeReporter(api, parsed.GetValue(nodeName)!, loggers.CreateLogger<NodeReporter>());
                var gardenlinux = parsed.GetValue(gardenlinuxVersion) ?? HostFacts.GardenlinuxVersion(root)
                    ?? (reporter is null ? null : await reporter.GardenlinuxVersionAsync(token));
                var kind = CompileRequest.KindOf(name);
                var pci = new SysfsPciScanner(root);
                var (moduleTypeChosen, moduleTypeReason) = ModuleTypeRule.Choose(InputValidator.ModuleType(parsed.GetValue(moduleType)), kind, version, pci.NvidiaGpus());
                var key = new ArtifactKey(
                    name,
                    version,
                    moduleTypeChosen,
                    parsed.GetValue(arch) is { } a ? InputValidator.Arch(a) : InputValidator.HostArch(),
                    gardenlinux is null
                        ? throw new InvalidInputException($"--gardenlinux-version is required: {HostFacts.DescribeOs(root)} and the node has no os-version label")
                        : InputValidator.GardenlinuxVersion(gardenlinux),
                    InputValidator.KernelRelease(parsed.GetValue(kernelVersion) ?? HostFacts.RunningKernel()));
                var request = new InstallRequest
                {
                    Key = key,
                    CacheDir = Path.GetFullPath(InputValidator.Directory(parsed.GetValue(cacheDir), "--cache-dir")),
                    HostRoot = root,
                    HostDriverPath = parsed.GetValue(hostDriverPath)!,
                    ModuleParameters = ModuleParameters.Parse(parsed.GetValue(parameters)),
                    Peermem = parsed.GetValue(peermem)!,
                    DryRun = parsed.GetValue(dryRun),
                    SkipGpuCheck = parsed.GetValue(skipGpuCheck),
                    StartPersistenced = parsed.GetValue(persistenced),
                    KeepCacheEntries = parsed.GetValue(keep) is >= 0 and var k ? k : throw new InvalidInputException("--keep-cache-entries must be 0 or more"),
                };
                var compileRequest = parsed.GetValue(allowCompilation)
                    ? CompileRequest.For(key, kind, parsed.GetValue(driverSource) is { } src ? InputValidator.DriverSource(src) : null, request.CacheDir, parsed.GetValue(cmdDir) is { } c ? Path.GetFullPath(c) : null, parsed.GetValue(localBuilder))
                    : null;
                if (compileRequest is not null && compileRequest.LocalBuilder == (compileRequest.CmdDir is not null))
                {
                    throw new InvalidInputException("--allow-compilation needs exactly one of --cmd-dir DIR and --local-builder");
                }

                using var artifactStore = store.Create(parsed, loggers, required: false, writes: true);
                var runner = new ProcessRunner(loggers.CreateLogger<ProcessRunner>());
                var logger = loggers.CreateLogger<Installer>();
                Func<CancellationToken, Task<string>>? compile = compileRequest is null ? null : async t =>
                {
                    var compiler = new Compiler(runner, new ArtifactWriter(loggers.CreateLogger<ArtifactWriter>()), loggers.CreateLogger<Compiler>());
                    var built = await compiler.CompileAsync(compileRequest, null, t);
                    await TryPublishAsync(artifactStore, built.Directory!, logger, t);
                    return built.Directory!;
                };
                logger.LogInformation("Module type {ModuleType}: {Reason}", key.ModuleType, moduleTypeReason);
                var upgrader = upgrade.Create(parsed, api, parsed.GetValue(nodeName), loggers.CreateLogger<Upgrade.InPlaceUpgrader>());
                var installer = new Installer(new SysfsKernelModules(root), new DevDeviceNodes(root), pci, new KmsgKernelLog(), runner, artifactStore, compile, logger, upgrader);
                var artifactName = key.ArtifactName;
                InstallOutcome outcome;
                var stopwatch = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    outcome = await installer.InstallAsync(request, token);
                }
                catch (ModulusException e) when (!request.DryRun)
                {
                    TryWriteState(request.CacheDir, new InstallState(artifactName, false, e.Message, e.ExitCode, DateTimeOffset.UtcNow) { DurationSeconds = stopwatch.Elapsed.TotalSeconds }, logger);
                    if (reporter is not null)
                    {
                        var reason = e.ExitCode switch { ExitCodes.NotInStore => "NvidiaDriverNotInStore", ExitCodes.DriverInUse => "NvidiaDriverInUse", _ => "NvidiaDriverInstallFailed" };
                        await reporter.ReportFailedAsync(reason, e.Message, CancellationToken.None);
                    }

                    throw;
                }

                if (outcome.NoGpu)
                {
                    var why = $"no NVIDIA GPU on this node (no PCI display/3D function of vendor 10de): nothing was loaded; {name} {version} is not installed here. " +
                        "Schedule the installer only on GPU node pools (nodeAffinity), or check that the GPU is attached.";
                    if (!request.DryRun)
                    {
                        TryWriteState(request.CacheDir, new InstallState(artifactName, false, why, ExitCodes.Success, DateTimeOffset.UtcNow), logger);
                        if (reporter is not null)
                        {
                            await reporter.ReportNoGpuAsync(why, token);
                        }
                    }

                    await Console.Out.WriteLineAsync(why);
                    return ExitCodes.Success;
                }

                if (!request.DryRun)
                {
                    TryWriteState(request.CacheDir, new InstallState(artifactName, true, $"{name} {version} is live", ExitCodes.Success, DateTimeOffset.UtcNow)
                    {
                        DurationSeconds = stopwatch.Elapsed.TotalSeconds, BytesFetched = outcome.BytesFetched,
                    }, logger);
                }


                if (reporter is not null && !request.DryRun)
                {
                    await reporter.ReportInstalledAsync(version, outcome.AlreadyInstalled
                        ? $"{name} {version} ({key.ModuleType}) was live already on kernel {key.KernelRelease}"
                        : $"{name} {version} ({key.ModuleType}: {moduleTypeReason}) is live on kernel {key.KernelRelease} ({stopwatch.Elapsed.TotalSeconds:F1} s)", token);
                }

                if (request.DryRun)
                {
                    foreach (var step in outcome.Steps)
                    {
                        await Console.Out.WriteLineAsync("would " + step);
                    }
                }

                await Console.Out.WriteLineAsync(outcome.AlreadyInstalled
                    ? $"already installed: {name} {version} is live ({outcome.ArtifactDirectory})"
                    : request.DryRun
                        ? $"dry run: {outcome.Steps.Count} step(s) would be taken; nothing was changed"
                        : $"installed: {name} {version} ({key.ModuleType}) is live ({outcome.ArtifactDirectory})");
                return ExitCodes.Success;
            },
            cancellationToken));
        return command;
    }

    private static void TryWriteState(string cacheDir, InstallState state, ILogger logger)
    {
        try
        {
            InstallState.Write(cacheDir, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not record the install's outcome in {CacheDir} ({Error}); status will not show it", cacheDir, e.Message);
        }
    }

    /// <summary>Publishing a freshly compiled artifact is a courtesy: a read-only store must not fail the install.</summary>
    private static async Task TryPublishAsync(IArtifactStore? store, string directory, ILogger logger, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return;
        }

        try
        {
            await new Publisher(store, logger).PublishAsync(directory, cancellationToken);
        }
        catch (StoreException e)
        {
            logger.LogWarning("Compiled, but could not publish to {Store} ({Error}); other nodes will compile too", store.Location, e.Message);
        }
    }
}
