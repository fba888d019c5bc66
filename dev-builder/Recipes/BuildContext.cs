using Modulus.Core.Pipes;
using Modulus.Core.Processes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>Everything a recipe needs for one build: the request, the kernel, its scratch and output dirs.</summary>
internal sealed record BuildContext(
    BuildSpec Spec,
    KernelHeaders Kernel,
    string WorkDir,
    string OutputDir,
    Action<OutputLine> OnOutput,
    Action<string> Say)
{
    public string ModulesDir => Path.Combine(OutputDir, "lib", "modules", Kernel.Release);

    /// <summary>The compiler the headers name, and ARCH and CROSS_COMPILE where they are for another architecture.</summary>
    public required KernelToolchain Toolchain { get; init; }

    /// <summary>The source the recipe built from, once fetched.</summary>
    public FetchedSource? Source { get; set; }

    /// <summary>What the operator should know about the result; each is also said in the build log.</summary>
    public List<string> Warnings { get; } = [];

    public void Warn(string warning)
    {
        Warnings.Add(warning);
        Say("warning: " + warning);
    }
}
