using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// How to build against one kernel's headers: the compiler they name and, where they build for another
/// architecture than the dev container's, the <c>ARCH</c> and <c>CROSS_COMPILE</c> that kbuild and NVIDIA's Makefile
/// need. Debian's and Garden Linux's headers say it in <c>.kernelvariables</c> (<c>override ARCH = arm64</c>,
/// <c>override CROSS_COMPILE = aarch64-linux-gnu-</c>, <c>CC = … $(CROSS_COMPILE)gcc-14</c>); other headers get the GNU
/// triplet's prefix and <c>gcc</c>.
/// </summary>
internal sealed partial class KernelToolchain
{
    /// <summary>The architecture the headers build for (<c>amd64</c>, <c>arm64</c>).</summary>
    public required string Arch { get; init; }

    /// <summary>The headers are for another architecture than this machine's.</summary>
    public required bool Cross { get; init; }

    /// <summary>The tools' prefix, e.g. <c>aarch64-linux-gnu-</c>; empty where the headers name none and the build is native.</summary>
    public required string CrossCompile { get; init; }

    /// <summary>The C compiler the headers build with, e.g. <c>aarch64-linux-gnu-gcc-14</c>.</summary>
    public required string Compiler { get; init; }

    /// <summary>What <c>make</c> gets for a cross build (nothing for a native one, which builds as it always did).</summary>
    public IReadOnlyList<string> MakeVariables => Cross ? [$"ARCH={MakeArch(Arch)}", $"CROSS_COMPILE={CrossCompile}"] : [];

    /// <summary>A binutils program for the headers' architecture: <c>aarch64-linux-gnu-strip</c> for a cross build.</summary>
    public string Tool(string name) => Cross ? CrossCompile + name : name;

    public static string MachineArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The toolchain for <paramref name="kernel"/>; a cross build whose compiler is not on <paramref name="searchPath"/>
    /// (default: PATH) is an error that names its package.
    /// </summary>
    public static KernelToolchain For(KernelHeaders kernel, string machineArch, string? searchPath = null)
    {
        var arch = kernel.Arch ?? machineArch;
        var variables = ReadKernelVariables(kernel.Path);
        var cross = arch != machineArch;
        // Debian 12's headers compute it (override CROSS_COMPILE = $(DEB_HOST_GNU_TYPE)- for cross builds only): such a
        // value names nothing, and a native build then has no prefix.
        var prefix = variables.TryGetValue("CROSS_COMPILE", out var named) && !named.Contains('$', StringComparison.Ordinal)
            ? named
            : cross ? Triplet(arch) + "-" : string.Empty;
        var compiler = variables.TryGetValue("CC", out var cc) && cc.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [.., var last] && last.StartsWith("$(CROSS_COMPILE)", StringComparison.Ordinal)
            ? prefix + last["$(CROSS_COMPILE)".Length..]
            : prefix + "gcc";
        if (compiler.Contains('$', StringComparison.Ordinal) || compiler.Contains('/', StringComparison.Ordinal))
        {
            compiler = prefix + "gcc";
        }

        var toolchain = new KernelToolchain { Arch = arch, Cross = cross, CrossCompile = prefix, Compiler = compiler };
        if (cross && FindOnPath(compiler, searchPath) is null)
        {
            throw new ModulusException(
                $"the headers of kernel {kernel.Release} ({kernel.Path}) build {arch} modules with {compiler}, which this {machineArch} dev container does not have on its PATH. " +
                $"Install Debian's cross compiler ({CrossPackage(compiler)}), or build in a kmodbuild image of arch {arch}.");
        }

        return toolchain;
    }

    /// <summary>The path of <paramref name="program"/> on <paramref name="searchPath"/> (default: PATH), or null.</summary>
    public static string? FindOnPath(string program, string? searchPath = null) =>
        (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    private static string Triplet(string arch) => arch == "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";

    private static string MakeArch(string arch) => arch == "arm64" ? "arm64" : "x86_64";

    /// <summary><c>aarch64-linux-gnu-gcc-14</c> comes with Debian's <c>gcc-14-aarch64-linux-gnu</c>.</summary>
    private static string CrossPackage(string compiler)
    {
        var match = CrossCompilerName().Match(compiler);
        return match.Success
            ? $"{match.Groups["gcc"].Value}-{match.Groups["triplet"].Value}"
            : $"the package that provides {compiler}";
    }

    /// <summary><c>NAME = value</c>, <c>NAME := value</c>, <c>override NAME = value</c> of the headers' <c>.kernelvariables</c>.</summary>
    private static Dictionary<string, string> ReadKernelVariables(string headers)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(headers, ".kernelvariables");
        if (!File.Exists(file) || new FileInfo(file).Length > 64 << 10)
        {
            return found;
        }

        foreach (var line in File.ReadLines(file))
        {
            var match = Assignment().Match(line);
            if (match.Success)
            {
                found[match.Groups["name"].Value] = match.Groups["value"].Value.Trim();
            }
        }

        return found;
    }

    [GeneratedRegex(@"^\s*(override\s+)?(?<name>CROSS_COMPILE|CC)\s*:?=\s*(?<value>.*)$")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^(?<triplet>[a-z0-9_]+-linux-gnu[a-z]*)-(?<gcc>gcc(-[0-9]+)?)$")]
    private static partial Regex CrossCompilerName();
}
