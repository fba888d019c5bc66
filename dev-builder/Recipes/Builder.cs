using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Core.Processes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// Runs one build: picks the kernel headers and the recipe, builds into <c>&lt;out&gt;/.partial-&lt;job&gt;</c>
/// and renames it to <c>&lt;out&gt;/&lt;job&gt;</c> only when everything succeeded; on failure nothing is left behind.
/// </summary>
internal sealed class Builder(IEnumerable<IBuildRecipe> recipes, KernelHeadersLocator headers, BuilderPaths paths, ILogger<Builder> logger)
{
    public async Task<BuildOutcome> BuildAsync(BuildSpec spec, Action<OutputLine> onOutput, Action<string> say, CancellationToken cancellationToken)
    {
        var recipe = recipes.FirstOrDefault(r => r.Kind == spec.Kind)
            ?? throw new ModulusException($"unknown driver kind '{spec.Kind}'; dev-builder knows {string.Join(", ", recipes.Select(r => r.Kind))}", ExitCodes.InvalidInput);
        var kernel = headers.Select(spec.KernelRelease);
        var final = Path.Combine(paths.OutDir, spec.Job);
        var partial = CmdDir.PartialJobDir(paths.OutDir, spec.Job);
        var work = Path.Combine(paths.WorkDir, spec.Job);
        if (Directory.Exists(final))
        {
            throw new ModulusException($"job directory {final} exists already; every build needs a new job name", ExitCodes.InvalidInput);
        }

        var stopwatch = Stopwatch.StartNew();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Job"] = spec.Job, ["Driver"] = spec.Name, ["DriverVersion"] = spec.Version, ["Kernel"] = kernel.Release });
        say($"building {spec.Kind} {spec.Name} {spec.Version} ({spec.ModuleType}, {spec.Arch}) for kernel {kernel.Release} with headers {kernel.Path}");
        try
        {
            Directory.CreateDirectory(partial);
            Directory.CreateDirectory(work);
            await recipe.BuildAsync(new BuildContext(spec, kernel, work, partial, onOutput, say), cancellationToken);
            Directory.Move(partial, final);
            say($"built {spec.Job} in {stopwatch.Elapsed.TotalSeconds:F1} s");
            return new BuildOutcome(spec.Job, kernel.Release, stopwatch.Elapsed);
        }
        finally
        {
            TryDelete(partial);
            TryDelete(work);
        }
    }

    private void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not remove {Dir}: {Error}", dir, e.Message);
        }
    }
}
