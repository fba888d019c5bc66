using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Commands.Options;
using Modulus.Compile;
using Modulus.Core.Artifacts;
using Modulus.Drivers;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Core.Validation;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus compile</c>: build an artifact per kernel through dev-builder into the host cache.</summary>
internal static class CompileCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var artifact = new ArtifactOptions("Garden Linux version, e.g. 1592.3", "Kernel release to build for (default: every kernel of --arch whose headers dev-builder has)",
            defaultName: null, nameDescription: "Name of the module set for --driver-kind kbuild (default: the source's base name)");
        var kernelFlavours = new Option<string?>("--kernel-flavours") { Description = "Build only the kernels of these flavours, e.g. default,cloud (metal means default; default: all)" };
        var driverKind = new Option<string>("--driver-kind") { Description = "nvidia-runfile or kbuild", DefaultValueFactory = _ => "nvidia-runfile" };
        var compile = new CompileOptions();
        var cacheDir = CommonOptions.CacheDir();
        var force = new Option<bool>("--force") { Description = "Build and publish even when the store has the artifact already" };
        var store = new StoreOptions(getVariable);

        var command = new Command("compile", "Build a driver artifact per kernel through dev-builder and write them to the host cache") { kernelFlavours, driverKind };
        artifact.AddTo(command);
        compile.AddTo(command);
        command.Options.Add(cacheDir);
        command.Options.Add(force);
        store.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                // Everything is validated before any work.
                var kind = DriverKinds.Parse(parsed.GetValue(driverKind), driverKind.Name);
                var selection = artifact.Bind(parsed);
                var settings = compile.Bind(parsed, kind, parsed.GetValue(force));
                var gardenlinuxVersion = selection.GardenlinuxVersion ?? InputValidator.GardenlinuxVersion(null, artifact.GardenlinuxVersion.Name);
                var request = new CompileRequest
                {
                    DriverKind = kind,
                    DriverName = kind == DriverKind.Kbuild ? selection.Name ?? InputValidator.DriverName(DefaultName(settings.DriverSource), artifact.DriverName.Name) : DriverKinds.NvidiaName,
                    DriverVersion = selection.Version,
                    ModuleType = ModuleTypeRule.Resolve(selection.ModuleType, kind, selection.Version, gardenlinuxVersion),
                    Arch = selection.Arch,
                    GardenlinuxVersion = gardenlinuxVersion,
                    KernelRelease = selection.KernelRelease,
                    KernelFlavours = KernelFlavours.Parse(parsed.GetValue(kernelFlavours)),
                    CacheDir = parsed.FullDirectory(cacheDir),
                    Settings = settings,
                };
                using var artifactStore = store.Open(parsed, loggers, writes: true);
                var compiler = new Compiler(new ProcessRunner(loggers.CreateLogger<ProcessRunner>()), new ArtifactWriter(loggers.CreateLogger<ArtifactWriter>()), loggers.CreateLogger<Compiler>());
                return await RunAsync(request, compiler, artifactStore, Console.Out, token);
            },
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(CompileRequest request, Compiler compiler, IArtifactStore? store, TextWriter output, CancellationToken cancellationToken)
    {
        var run = await compiler.CompileKernelsAsync(request, store, cancellationToken);
        await CompileReport.WriteAsync(run, output);
        run.ThrowIfFailed();
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
}
