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
}
