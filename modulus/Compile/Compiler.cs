using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Modulus.Cache;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Core.Processes;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Compile;

/// <summary>
/// <c>modulus compile</c> without the CLI: get a dev-builder (attached or local), have it build, stream its log,
/// and commit the result to the host cache. A failed build leaves no artifact directory behind.
/// </summary>
internal sealed class Compiler(IProcessRunner runner, ArtifactWriter writer, ILogger<Compiler> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(30);

    public static string ModulusVersion { get; } =
        typeof(Compiler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Compiles the one kernel the request names (install's fallback compile), then publishes to
    /// <paramref name="store"/> when one is given; a failure throws.
    /// </summary>
    public async Task<CompileResult> CompileAsync(CompileRequest request, IArtifactStore? store, CancellationToken cancellationToken)
    {
        var run = await CompileKernelsAsync(request, store, cancellationToken);
        run.ThrowIfFailed();
        return run.Results.Single();
    }

    /// <summary>
    /// Compiles every kernel the request selects (<see cref="KernelSelection"/>), one after another through one
    /// dev-builder, committing and publishing each as it finishes. An artifact the store has committed already is not
    /// built again unless <see cref="CompileSettings.Force"/>. A kernel whose build fails is recorded and the others
    /// are still built; the run then names it (<see cref="CompileRun.ThrowIfFailed"/>).
    /// </summary>
    public async Task<CompileRun> CompileKernelsAsync(CompileRequest request, IArtifactStore? store, CancellationToken cancellationToken)
    {
        if (request.KernelRelease is not null && request.KernelFlavours is not null)
        {
            throw new InvalidInputException("--kernel-version picks one kernel and --kernel-flavours a set of them: pass one of the two");
        }

        if (request.Settings.FabricManagerPackage is { } fabricManager)
        {
            var package = Drivers.FabricManagerPackage.Check(fabricManager, request.DriverVersion, request.Arch);
            logger.LogInformation("Every artifact gets NVIDIA's fabric manager from {Package} ({Name} {Version})", fabricManager, package.Package, package.Version);
        }

        // With the kernel known up front, a published artifact needs no dev-builder at all.
        if (request.KernelRelease is { } known && await PublishedAsync(request.KeyFor(known), store, request.Settings.Force, cancellationToken) is { } early)
        {
            return new CompileRun([known], [early], []);
        }

        var buildRoot = new HostCache(request.CacheDir).Build;
        Directory.CreateDirectory(buildRoot);
        await using var local = request.Settings.LocalBuilder ? LocalDevBuilder.Start(runner, request.Settings.DevBuilderExecutable, buildRoot, logger) : null;
        var cmd = local?.Cmd ?? new CmdDir(request.Settings.CmdDir!);
        if (local is null)
        {
            await PayloadPlacer.PlaceAsync(cmd, request.Settings.DevBuilderPayload, logger, cancellationToken);
        }

        using var client = await DevBuilderClient.ConnectAsync(cmd, request.Settings.Client, logger, local?.Exited, cancellationToken);
        var kernels = KernelSelection.Choose(request.KernelRelease, request.KernelFlavours, request.Arch, client.Ready);
        if (kernels.Count > 1)
        {
            logger.LogInformation("Compiling for {Count} kernels, one after another: {Kernels}", kernels.Count, string.Join(", ", kernels));
        }

        var results = new List<CompileResult>();
        var failures = new List<KernelFailure>();
        foreach (var kernel in kernels)
        {
            var key = request.KeyFor(kernel);
            if (request.KernelRelease is null && await PublishedAsync(key, store, request.Settings.Force, cancellationToken) is { } published)
            {
                results.Add(published);
                continue;
            }

            try
            {
                results.Add(await BuildAsync(client, request, key, buildRoot, local is null, store, cancellationToken));
            }
            catch (BuildFailedException e) when (kernels.Count > 1)
            {
                // The other kernels still build; the run fails at its end, naming this one.
                logger.LogError("Building {Artifact} failed; going on with the other kernels: {Error}", key, e.Message);
                failures.Add(new KernelFailure(kernel, e));
            }
        }

        return new CompileRun(kernels, results, failures);
    }

    private async Task<CompileResult> BuildAsync(DevBuilderClient client, CompileRequest request, ArtifactKey key, string buildRoot, bool attached, IArtifactStore? store, CancellationToken cancellationToken)
    {
        var kernel = key.KernelRelease;
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Driver"] = key.Name, ["DriverVersion"] = key.Version, ["ModuleType"] = key.ModuleType.Name(),
            ["GardenlinuxVersion"] = key.GardenlinuxVersion, ["Kernel"] = kernel,
        });

        var spec = new BuildSpec
        {
            Kind = request.DriverKind.Name(), Name = key.Name, Version = key.Version, ModuleType = key.ModuleType.Name(), Arch = key.Arch,
            KernelRelease = kernel, Source = request.Settings.DriverSource, SourceSha256 = request.Settings.DriverSourceSha256, KeepDebugInfo = request.Settings.KeepDebugInfo,
            SigningKey = request.Settings.ModuleSigningKey, SigningCert = request.Settings.ModuleSigningCert,
            Job = $"{key.ArtifactName}-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
        };
        var jobDir = Path.Combine(buildRoot, spec.Job);
        var startedAt = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        logger.LogInformation("Compiling {Artifact} for kernel {Kernel} (job {Job})", key.ArtifactName, kernel, spec.Job);
        try
        {
            var lastProgress = TimeSpan.Zero;
            var result = await client.BuildAsync(spec, message => Show(message, stopwatch, ref lastProgress), cancellationToken);
            if (result is { Status: Protocol.ResultStatus.Rejected, ExitCode: ExitCodes.InvalidInput })
            {
                throw new InvalidInputException($"building {key} was rejected by dev-builder: {result.Error}");
            }

            if (result.Status != Protocol.ResultStatus.Succeeded)
            {
                throw new BuildFailedException(
                    $"building {key} {(result.Status == Protocol.ResultStatus.Rejected ? "was rejected by dev-builder" : "failed")}: {result.Error}",
                    result.ExitCode);
            }

            var builtDir = Path.Combine(buildRoot, result.OutputDir ?? spec.Job);
            if (!Directory.Exists(builtDir))
            {
                throw new ModulusException($"dev-builder reports job {spec.Job} done in {result.OutputDir}, but {builtDir} does not exist: does the dev container's out dir map to {buildRoot}?");
            }

            foreach (var warning in result.Warnings ?? [])
            {
                logger.LogWarning("{Warning:l}", warning);
            }

            if (request.Settings.FabricManagerPackage is { } fabricManager)
            {
                var added = Drivers.FabricManagerPackage.AddTo(fabricManager, builtDir);
                logger.LogInformation("Added NVIDIA's fabric manager to {Artifact}: {Files}", key.ArtifactName, string.Join(", ", added));
            }

            var provenance = result.Provenance;
            var build = new BuildInfo(ModulusVersion, client.Ready.Image ?? (attached ? "unknown" : "local"), provenance?.Compiler ?? client.Ready.Compiler, startedAt, Math.Round(stopwatch.Elapsed.TotalSeconds, 1))
            {
                DriverSource = provenance?.DriverSource,
                DriverSourceSha256 = provenance?.DriverSourceSha256,
                KernelHeaders = provenance?.KernelHeaders,
                KernelSource = provenance?.KernelSource,
                ModulesStripped = provenance?.ModulesStripped,
                ModuleBytesBeforeStrip = provenance?.ModuleBytesBeforeStrip,
                ModuleBytes = provenance?.ModuleBytes,
                ModuleSigner = provenance?.ModuleSigner,
            };
            var (directory, manifest) = await writer.CommitAsync(request.CacheDir, builtDir, key, request.DriverKind, build, cancellationToken);
            if (store is not null)
            {
                manifest = await new Publisher(store, logger) { Compression = request.Settings.Compression }.PublishAsync(directory, cancellationToken);
            }

            return new CompileResult(directory, manifest, Skipped: false, PublishedTo: store?.Location) { Warnings = result.Warnings ?? [] };
        }
        finally
        {
            // A failed or interrupted job leaves nothing: neither its result nor a dead dev-builder's partial dir.
            foreach (var dir in new[] { jobDir, CmdDir.PartialJobDir(buildRoot, spec.Job) })
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }

        void Show(Response message, Stopwatch elapsed, ref TimeSpan last)
        {
            if (message.Type == Protocol.ResponseTypes.Log)
            {
                if (message.Stream == "stderr")
                {
                    logger.LogWarning("build: {Line:l}", message.Line);
                }
                else
                {
                    logger.LogInformation("build: {Line:l}", message.Line);
                }
            }

            if (elapsed.Elapsed - last >= ProgressInterval)
            {
                last = elapsed.Elapsed;
                logger.LogInformation("Still building {Job} after {Seconds:F0} s", spec.Job, elapsed.Elapsed.TotalSeconds);
            }
        }
    }

    private async Task<CompileResult?> PublishedAsync(ArtifactKey key, IArtifactStore? store, bool force, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return null;
        }

        var existing = await new Fetcher(store, logger).TryReadManifestAsync(key, cancellationToken);
        if (existing is null)
        {
            return null;
        }

        if (force)
        {
            logger.LogInformation("{Store} already has {Artifact}; building it again because of --force", store.Location, key);
            return null;
        }

        if (store is SigningStore { SigningKeyId: { } id } signing && signing.SignerOf(StoreLayout.ManifestKey(key))?.StartsWith(id, StringComparison.Ordinal) != true)
        {
            // Skipping would leave an artifact that installers with trusted keys refuse until someone forces a rebuild.
            logger.LogInformation("{Store} has {Artifact}, but not signed by --signing-key {KeyId}; building and publishing it again, signed", store.Location, key, id);
            return null;
        }

        logger.LogInformation("{Store} already has {Artifact}; skipping the build (--force builds it again)", store.Location, key);
        return new CompileResult(null, existing, Skipped: true, PublishedTo: store.Location);
    }
}
