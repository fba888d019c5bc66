using System.Text.RegularExpressions;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// NVIDIA's <c>NVIDIA-Linux-&lt;arch&gt;-&lt;version&gt;.run</c>: extract it, build <c>kernel-open/</c> or <c>kernel/</c>
/// against the headers, and collect modules, userspace programs, libraries with soname links, and GSP firmware in
/// the layout NVIDIA's container toolkit and GPU Operator validator search (<see cref="ArtifactLayout"/>, docs/manifest.md).
/// </summary>
internal sealed partial class NvidiaRunfileRecipe(SourceFetcher fetcher, RecipeSteps steps, RunfileExtractions extractions) : IBuildRecipe
{
    private static readonly string[] Programs =
        ["nvidia-smi", "nvidia-modprobe", "nvidia-persistenced", "nvidia-debugdump", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server"];

    public string Kind => "nvidia-runfile";

    public static string RunfileArch(string arch) => arch == "arm64" ? "aarch64" : "x86_64";

    /// <summary>NVIDIA's public download of the data-center driver, as the original installer used.</summary>
    public static string DefaultSource(string arch, string version) =>
        $"https://us.download.nvidia.com/tesla/{version}/NVIDIA-Linux-{RunfileArch(arch)}-{version}.run";

    public async Task BuildAsync(BuildContext context, CancellationToken cancellationToken)
    {
        var spec = context.Spec;
        context.Source = await fetcher.FetchAsync(spec.Source ?? DefaultSource(spec.Arch, spec.Version), spec.SourceSha256, context.WorkDir, context.Say, cancellationToken);
        var runfile = context.Source.Path;

        if (spec.SourceSha256 is null)
        {
            RequireMakeself(runfile, context.Source.Source);
        }

        var extracted = await extractions.ExtractAsync(context, runfile, context.Source.Sha256!, cancellationToken);
        var tree = Path.Combine(extracted, spec.ModuleType == "open" ? "kernel-open" : "kernel");
        if (!Directory.Exists(tree))
        {
            throw new ModulusException(
                $"{Path.GetFileName(runfile)} has no {Path.GetFileName(tree)}/ directory, so it cannot build {spec.ModuleType} modules" +
                (spec.ModuleType == "open" ? " (open modules need driver 515 or later); use --module-type proprietary" : string.Empty),
                ExitCodes.InvalidInput);
        }

        // Build in a copy: make writes its objects into the tree, and the next kernel builds from the same extraction.
        var kernelDir = Path.Combine(context.WorkDir, Path.GetFileName(tree));
        RecipeSteps.CopyTree(tree, kernelDir);

        // NVIDIA's Makefile takes the source tree as SYSSRC and the build tree as SYSOUT; with split headers
        // (Debian, Garden Linux's kmodbuild) SYSSRC alone makes its conftest miss the source headers (stdarg.h).
        await steps.MakeAsync(context, ["-C", kernelDir, $"SYSSRC={context.Kernel.SourceOrPath}", $"SYSOUT={context.Kernel.Path}", "modules"], cancellationToken);
        // NVIDIA links its modules at the top of kernel-open/ or kernel/; below it is fine too.
        RecipeSteps.CollectModules(context, kernelDir, SearchOption.AllDirectories);

        var layout = ArtifactLayout.Current(spec.Arch);
        var programs = CollectPrograms(context, extracted, Path.Combine(context.OutputDir, layout.Programs));
        var libraries = CollectLibraries(context, extracted, Path.Combine(context.OutputDir, layout.Libraries));
        if (programs == 0 && libraries == 0)
        {
            context.Warn($"{Path.GetFileName(runfile)} carries no userspace (no nvidia-smi, no lib*.so.{spec.Version}): the artifact has kernel modules only, " +
                "and install cannot validate the driver with nvidia-smi. Use NVIDIA's full .run package to ship the userspace too.");
        }

        CollectFirmware(context, extracted, Path.Combine(context.OutputDir, layout.Firmware));
        await steps.DepmodAsync(context, cancellationToken);
    }

    /// <summary>
    /// A .run is run with sh, so without an expected checksum it must at least look like NVIDIA's: a shell script
    /// made by Makeself (its header says so in the first 16 KiB). Anything else is refused before it runs.
    /// </summary>
    private static void RequireMakeself(string path, string source)
    {
        var head = new byte[16 << 10];
        int length;
        using (var file = File.OpenRead(path))
        {
            length = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        var text = System.Text.Encoding.Latin1.GetString(head, 0, length);
        if (!text.StartsWith("#!", StringComparison.Ordinal) || !text.Contains("Makeself", StringComparison.Ordinal))
        {
            throw new ModulusException(
                $"driver source '{source}' does not look like NVIDIA's .run (a Makeself shell archive: '#!' and 'Makeself' in its first 16 KiB), so it is not run. " +
                "Pass the NVIDIA-Linux-<arch>-<version>.run package, or --driver-source-sha256 with its checksum to run this file anyway.",
                ExitCodes.InvalidInput);
        }
    }

    private static int CollectPrograms(BuildContext context, string extracted, string bin)
    {
        var count = 0;
        foreach (var program in Programs)
        {
            var source = Path.Combine(extracted, program);
            if (File.Exists(source))
            {
                RecipeSteps.CopyFile(source, Path.Combine(bin, program));
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// <c>lib*.so.&lt;version&gt;</c> and a link from each library's DT_SONAME to it in the same directory (a relative
    /// link, as ldconfig would make): NVIDIA's tools find the driver's version from <c>libcuda.so.&lt;version&gt;</c>
    /// and load <c>libnvidia-ml.so.1</c> by its soname.
    /// </summary>
    private static int CollectLibraries(BuildContext context, string extracted, string lib)
    {
        var suffix = ".so." + context.Spec.Version;
        var count = 0;
        foreach (var source in Directory.EnumerateFiles(extracted, "lib*" + suffix).Order(StringComparer.Ordinal))
        {
            count++;
            var name = Path.GetFileName(source);
            RecipeSteps.CopyFile(source, Path.Combine(lib, name));
            var soname = ReadSoname(source);
            if (soname is not null && soname != name && SonamePattern().IsMatch(soname) && !File.Exists(Path.Combine(lib, soname)))
            {
                File.CreateSymbolicLink(Path.Combine(lib, soname), name);
            }
        }

        return count;
    }

    /// <summary>GSP firmware as <c>&lt;firmware root&gt;/nvidia/&lt;version&gt;/gsp_*.bin</c>, where the kernel and NVIDIA's tools look for it.</summary>
    private static void CollectFirmware(BuildContext context, string extracted, string root)
    {
        var firmware = Path.Combine(extracted, "firmware");
        if (!Directory.Exists(firmware))
        {
            return;
        }

        foreach (var blob in Directory.EnumerateFiles(firmware, "gsp_*.bin"))
        {
            RecipeSteps.CopyFile(blob, Path.Combine(root, "nvidia", context.Spec.Version, Path.GetFileName(blob)));
        }
    }

    private static string? ReadSoname(string library)
    {
        try
        {
            return ElfFile.Load(library).Soname();
        }
        catch (InvalidDataException)
        {
            return null; // not ELF (a linker script, say): no soname link
        }
    }

    [GeneratedRegex(@"^lib[A-Za-z0-9._+-]+\.so(\.[0-9]+)*\z")]
    private static partial Regex SonamePattern();
}
