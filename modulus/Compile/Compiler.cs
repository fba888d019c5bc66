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
    /// <summary>The blob format a publish after the build writes.</summary>
    public string Compression { get; init; } = Distribution.BlobCompression.Default;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(30);

    public static string ModulusVersion { get; } =
        typeof(Compiler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Compiles, then publishes to <paramref name="store"/> when one is given. An artifact the store has committed
    /// already is not built again unless <see cref="CompileRequest.Force"/>.
    /// </summary>
    public async Task<CompileResult> CompileAsync(CompileRequest request, IArtifactStore? store, CancellationToken cancellationToken)
    {
        // With the kernel known up front, a published artifact needs no dev-builder at all.
        if (request.KernelRelease is { } known && await PublishedAsync(request.KeyFor(known), store, request.Force, cancellationToken) is { } early)
        {
            return early;
        }

        var buildRoot = new HostCache(request.CacheDir).Build;
        Directory.CreateDirectory(buildRoot);
        await using var local = request.LocalBuilder ? LocalDevBuilder.Start(runner, buildRoot, logger) : null;
        var cmd = local?.Cmd ?? new CmdDir(request.CmdDir!);
        if (local is null)
        {
            await PayloadPlacer.PlaceAsync(cmd, request.DevBuilderPayload, logger, cancellationToken);
        }

        using var client = await DevBuilderClient.ConnectAsync(cmd, request.Client, logger, local?.Exited, cancellationToken);
        var kernel = ChooseKernel(request.KernelRelease, client.Ready);
        var key = request.KeyFor(kernel);
        if (request.KernelRelease is null && await PublishedAsync(key, store, request.Force, cancellationToken) is { } published)
        {
            return published;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Driver"] = key.Name, ["DriverVersion"] = key.Version, ["ModuleType"] = key.ModuleType,
            ["GardenlinuxVersion"] = key.GardenlinuxVersion, ["Kernel"] = kernel,
        });

        var spec = new BuildSpec
        {
            Kind = request.DriverKind, Name = key.Name, Version = key.Version, ModuleType = key.ModuleType, Arch = key.Arch,
            KernelRelease = kernel, Source = request.DriverSource, SourceSha256 = request.DriverSourceSha256, KeepDebugInfo = request.KeepDebugInfo,
            SigningKey = request.ModuleSigningKey, SigningCert = request.ModuleSigningCert,
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

            var provenance = result.Provenance;
            var build = new BuildInfo(ModulusVersion, client.Ready.Image ?? (local is null ? "unknown" : "local"), client.Ready.Compiler, startedAt, Math.Round(stopwatch.Elapsed.TotalSeconds, 1))
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
                manifest = await new Publisher(store, logger) { Compression = Compression }.PublishAsync(directory, cancellationToken);
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

        logger.LogInformation("{Store} already has {Artifact}; skipping the build (--force builds it again)", store.Location, key);
        return new CompileResult(null, existing, Skipped: true, PublishedTo: store.Location);
    }

    private static string ChooseKernel(string? requested, ReadyInfo ready)
    {
        var available = string.Join(", ", ready.Kernels.Select(k => k.Release));
        if (requested is not null)
        {
            return ready.Kernels.Any(k => k.Release == requested)
                ? requested
                : throw new InvalidInputException($"--kernel-version {requested}: dev-builder has no headers for it; it has: {(available.Length == 0 ? "none" : available)}. Use the kmodbuild image of the node's Garden Linux version.");
        }

        return ready.Kernels.Count switch
        {
            1 => ready.Kernels[0].Release,
            0 => throw new InvalidInputException("dev-builder has no kernel headers at all (/usr/src/linux-headers-*, /lib/modules/*/build); use the kmodbuild image, or install the headers"),
            _ => throw new InvalidInputException($"dev-builder has headers for several kernels ({available}); pass --kernel-version to choose one"),
        };
    }
}
