using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Compile;
using Modulus.Distribution;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Core.Validation;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus compile</c>: build one artifact through dev-builder into the host cache.</summary>
internal static class CompileCommand
{
    public static Command Create()
    {
        var driverVersion = CommonOptions.DriverVersion();
        var gardenlinuxVersion = CommonOptions.GardenlinuxVersion();
        var kernelVersion = CommonOptions.KernelVersion("Kernel release to build for (default: the one kernel whose headers dev-builder has)");
        var driverKind = new Option<string>("--driver-kind") { Description = "nvidia-runfile or kbuild", DefaultValueFactory = _ => "nvidia-runfile" };
        var driverName = new Option<string?>("--driver-name") { Description = "Name of the module set for --driver-kind kbuild (default: the source's base name)" };
        var driverSource = new Option<string?>("--driver-source") { Description = "file://, http(s):// or a path, as dev-builder sees it (default for nvidia-runfile: NVIDIA's download)" };
        var driverSourceSha256 = new Option<string?>("--driver-source-sha256") { Description = "Expected SHA-256 of the driver source file; a different file is refused before it runs" };
        var keepDebugInfo = new Option<bool>("--keep-debug-info") { Description = "Keep the modules' debug info (default: stripped, as INSTALL_MOD_STRIP=1)" };
        var signingKey = new Option<string?>("--module-signing-key") { Description = "Private key (PEM, as the dev container sees it) that signs every module for Secure Boot" };
        var signingCert = new Option<string?>("--module-signing-cert") { Description = "Its X.509 certificate (PEM or DER); nodes must trust it (MOK or db)" };
        var moduleType = CommonOptions.ModuleType();
        var arch = CommonOptions.Arch();
        var cmdDir = CommonOptions.CmdDir();
        var localBuilder = CommonOptions.LocalBuilder();
        var cacheDir = CommonOptions.CacheDir();
        var payload = new Option<string?>("--dev-builder-payload") { Description = "dev-builder tarball to place into the cmd dir for bootstrap.sh" };
        var readyTimeout = new Option<double>("--ready-timeout") { Description = "Seconds to wait for dev-builder's ready file", DefaultValueFactory = _ => 300 };
        var heartbeatTimeout = new Option<double>("--heartbeat-timeout") { Description = "Seconds of silence after which dev-builder counts as dead", DefaultValueFactory = _ => 30 };
        var force = new Option<bool>("--force") { Description = "Build and publish even when the store has the artifact already" };
        var compression = CommonOptions.Compression();
        var store = new StoreOptions();

        var command = new Command("compile", "Build one driver artifact through dev-builder and write it to the host cache")
        {
            driverVersion, gardenlinuxVersion, kernelVersion, driverKind, driverName, driverSource, driverSourceSha256, keepDebugInfo, signingKey, signingCert, moduleType, arch,
            cmdDir, localBuilder, cacheDir, payload, readyTimeout, heartbeatTimeout, force, compression,
        };
        store.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                // Everything is validated before any work.
                var kind = InputValidator.DriverKind(parsed.GetValue(driverKind));
                var version = InputValidator.DriverVersion(parsed.GetValue(driverVersion));
                var source = parsed.GetValue(driverSource) is { } given ? InputValidator.DriverSource(given) : null;
                var request = new CompileRequest
                {
                    DriverKind = kind,
                    DriverName = kind == "kbuild" ? InputValidator.DriverName(parsed.GetValue(driverName) ?? DefaultName(source)) : "nvidia",
                    DriverVersion = version,
                    ModuleType = CompileRequest.ResolveModuleType(InputValidator.ModuleType(parsed.GetValue(moduleType)), kind, version),
                    Arch = parsed.GetValue(arch) is { } a ? InputValidator.Arch(a) : InputValidator.HostArch(),
                    GardenlinuxVersion = InputValidator.GardenlinuxVersion(parsed.GetValue(gardenlinuxVersion)),
                    KernelRelease = parsed.GetValue(kernelVersion) is { } k ? InputValidator.KernelRelease(k) : null,
                    DriverSource = source,
                    DriverSourceSha256 = parsed.GetValue(driverSourceSha256) is { } sha ? InputValidator.Sha256(sha) : null,
                    KeepDebugInfo = parsed.GetValue(keepDebugInfo),
                    ModuleSigningKey = parsed.GetValue(signingKey) is { } k1 ? InputValidator.AbsolutePath(k1, "--module-signing-key") : null,
                    ModuleSigningCert = parsed.GetValue(signingCert) is { } c1 ? InputValidator.AbsolutePath(c1, "--module-signing-cert") : null,
                    CacheDir = Path.GetFullPath(InputValidator.Directory(parsed.GetValue(cacheDir), "--cache-dir")),
                    CmdDir = parsed.GetValue(cmdDir) is { } c ? Path.GetFullPath(c) : null,
                    LocalBuilder = parsed.GetValue(localBuilder),
                    Force = parsed.GetValue(force),
                    DevBuilderPayload = parsed.GetValue(payload) ?? PayloadPlacer.DefaultPayload,
                    Client = new DevBuilderClientOptions
                    {
                        ReadyTimeout = Seconds(parsed.GetValue(readyTimeout), "--ready-timeout"),
                        HeartbeatTimeout = Seconds(parsed.GetValue(heartbeatTimeout), "--heartbeat-timeout"),
                    },
                };
                if (request.LocalBuilder == (request.CmdDir is not null))
                {
                    throw new InvalidInputException("pass exactly one of --cmd-dir DIR (attach to the dev container's dev-builder) and --local-builder (start one here)");
                }

                if ((request.ModuleSigningKey is null) != (request.ModuleSigningCert is null))
                {
                    throw new InvalidInputException("--module-signing-key and --module-signing-cert go together: pass both or neither");
                }

                if (kind == "kbuild" && source is null)
                {
                    throw new InvalidInputException("--driver-source is required for --driver-kind kbuild: a directory or tarball of module sources");
                }

                using var artifactStore = store.Create(parsed, loggers, required: false, writes: true);
                var compiler = new Compiler(new ProcessRunner(loggers.CreateLogger<ProcessRunner>()), new ArtifactWriter(loggers.CreateLogger<ArtifactWriter>()), loggers.CreateLogger<Compiler>())
                {
                    Compression = BlobCompression.Validate(parsed.GetValue(compression)),
                };
                return await RunAsync(request, compiler, artifactStore, Console.Out, token);
            },
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(CompileRequest request, Compiler compiler, IArtifactStore? store, TextWriter output, CancellationToken cancellationToken)
    {
        var result = await compiler.CompileAsync(request, store, cancellationToken);
        var manifest = result.Manifest;
        if (result.Skipped)
        {
            await output.WriteLineAsync($"skipped {manifest.Key}: {result.PublishedTo} has it already (use --force to build it again)");
            return ExitCodes.Success;
        }

        await output.WriteLineAsync($"built {manifest.Key}");
        await output.WriteLineAsync($"  directory: {result.Directory}");
        if (result.PublishedTo is not null)
        {
            await output.WriteLineAsync($"  published: {result.PublishedTo} {manifest.Blob!.Key} ({manifest.Blob.Size} bytes)");
        }

        await output.WriteLineAsync($"  files: {manifest.Files.Count}, {manifest.Files.Sum(f => f.Size) / 1048576.0:F1} MiB");
        if (manifest.Build is { ModulesStripped: true, ModuleBytesBeforeStrip: { } before, ModuleBytes: { } after })
        {
            await output.WriteLineAsync($"  modules stripped of debug info: {before / 1048576.0:F1} MiB -> {after / 1048576.0:F1} MiB");
        }

        if (manifest.Build.DriverSourceSha256 is { } sourceSha)
        {
            await output.WriteLineAsync($"  source: {manifest.Build.DriverSource} (sha256 {sourceSha})");
        }

        if (manifest.Build.ModuleSigner is { } moduleSigner)
        {
            await output.WriteLineAsync($"  modules signed by: {moduleSigner}");
        }

        await output.WriteLineAsync($"  kernel headers: {manifest.Build.KernelHeaders}{(manifest.Build.KernelSource is { } src && src != manifest.Build.KernelHeaders ? " (source " + src + ")" : string.Empty)}");
        await output.WriteLineAsync("  modules (load order):");
        foreach (var module in manifest.Modules)
        {
            await output.WriteLineAsync($"    {module.Name,-16} {module.Path}  vermagic: {module.Vermagic.TrimEnd()}");
        }

        foreach (var warning in result.Warnings)
        {
            await output.WriteLineAsync($"  warning: {warning}");
        }

        return ExitCodes.Success;
    }

    /// <summary>The module set's name from its source: the base name of the directory or tarball.</summary>
    private static string? DefaultName(string? source)
    {
        if (source is null)
        {
            return null;
        }

        var path = Uri.TryCreate(source, UriKind.Absolute, out var uri) ? uri.LocalPath : source;
        var name = Path.GetFileName(path.TrimEnd('/'));
        foreach (var extension in new[] { ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar" })
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                return Sanitize(name[..^extension.Length]);
            }
        }

        return Sanitize(name);
    }

    /// <summary>Lower case, anything but letters, digits, '.', '_' and '-' becomes '-'.</summary>
    private static string Sanitize(string name)
    {
        var cleaned = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-')]).TrimStart('.', '_', '-');
        return cleaned.Length > 64 ? cleaned[..64] : cleaned;
    }

    private static TimeSpan Seconds(double value, string option) =>
        value > 0 ? TimeSpan.FromSeconds(value) : throw new InvalidInputException($"{option} must be a positive number of seconds, not {value}");
}
