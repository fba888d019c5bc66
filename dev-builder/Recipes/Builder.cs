using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Native;
using Modulus.Core.Pipes;
using Modulus.Core.Processes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// Runs one build: picks the kernel headers and the recipe, builds into <c>&lt;out&gt;/.partial-&lt;job&gt;</c>
/// and renames it to <c>&lt;out&gt;/&lt;job&gt;</c> only when everything succeeded; on failure nothing is left behind.
/// Both are made, renamed and removed relative to a handle of the out dir, never through a link.
/// </summary>
internal sealed class Builder(IEnumerable<IBuildRecipe> recipes, KernelHeadersLocator headers, RecipeSteps steps, BuilderPaths paths, ILogger<Builder> logger)
{
    public async Task<BuildOutcome> BuildAsync(BuildSpec spec, Action<OutputLine> onOutput, Action<string> say, CancellationToken cancellationToken)
    {
        var recipe = recipes.FirstOrDefault(r => r.Kind == spec.Kind)
            ?? throw new ModulusException($"unknown driver kind '{spec.Kind}'; dev-builder knows {string.Join(", ", recipes.Select(r => r.Kind))}", ExitCodes.InvalidInput);
        var kernel = headers.Select(spec.KernelRelease);
        if (kernel.Arch is { } headersArch && headersArch != spec.Arch)
        {
            throw new ModulusException($"the headers of kernel {kernel.Release} build {headersArch} modules, but the request is for {spec.Arch}; pass --arch {headersArch}, or the kernel of {spec.Arch} headers", ExitCodes.InvalidInput);
        }

        var toolchain = KernelToolchain.For(kernel, KernelToolchain.MachineArch);
        var final = Path.Combine(paths.OutDir, spec.Job);
        var partial = CmdDir.PartialJobDir(paths.OutDir, spec.Job);
        var partialName = Path.GetFileName(partial);
        var work = Path.Combine(paths.WorkDir, spec.Job);

        // The out dir lies in the host cache, which other pods may write: the job's directories are made, renamed and
        // removed through a handle of it, never through a link (DirectoryHandle). What the recipe writes inside the
        // fresh partial directory goes by path, within this container's mounts (docs/store.md).
        using var outDir = DirectoryHandle.Open(Path.GetFullPath(paths.OutDir), string.Empty);
        if (outDir.Contains(spec.Job))
        {
            throw new ModulusException($"job directory {final} exists already; every build needs a new job name", ExitCodes.InvalidInput);
        }

        var stopwatch = Stopwatch.StartNew();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Job"] = spec.Job, ["Driver"] = spec.Name, ["DriverVersion"] = spec.Version, ["Kernel"] = kernel.Release });
        say($"building {spec.Kind} {spec.Name} {spec.Version} ({spec.ModuleType}, {spec.Arch}) for kernel {kernel.Release} with headers {kernel.Path}" +
            (kernel.SourceOrPath != kernel.Path ? $" (source {kernel.Source})" : string.Empty) +
            (toolchain.Cross ? $", cross-compiling with {toolchain.Compiler} (ARCH={toolchain.MakeVariables[0][5..]} CROSS_COMPILE={toolchain.CrossCompile})" : string.Empty));
        try
        {
            outDir.Delete(partialName); // an earlier attempt's, never followed if it is a link
            outDir.CreateDirectory(partialName).Dispose();
            Directory.CreateDirectory(work);
            var context = new BuildContext(spec, kernel, work, partial, onOutput, say) { Toolchain = toolchain };
            await recipe.BuildAsync(context, cancellationToken);
            var (before, after) = await steps.StripModulesAsync(context, cancellationToken);
            var signer = await steps.SignModulesAsync(context, cancellationToken);
            outDir.Rename(partialName, spec.Job);
            say($"built {spec.Job} in {stopwatch.Elapsed.TotalSeconds:F1} s");
            var provenance = new BuildProvenance
            {
                DriverSource = context.Source?.Source,
                DriverSourceSha256 = context.Source?.Sha256,
                KernelHeaders = kernel.Path,
                KernelSource = kernel.SourceOrPath,
                Compiler = await steps.CompilerVersionAsync(toolchain.Compiler, cancellationToken),
                ModulesStripped = !spec.KeepDebugInfo,
                ModuleBytesBeforeStrip = before,
                ModuleBytes = signer is null ? after : Directory.GetFiles(Path.Combine(final, "lib", "modules", kernel.Release), "*.ko", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length),
                ModuleSigner = signer,
            };
            return new BuildOutcome(spec.Job, kernel.Release, stopwatch.Elapsed, provenance, context.Warnings);
        }
        finally
        {
            TryDelete(() => outDir.Delete(partialName), partial);
            TryDelete(() => { if (Directory.Exists(work)) { Directory.Delete(work, recursive: true); } }, work);
        }
    }

    private void TryDelete(Action delete, string dir)
    {
        try
        {
            delete();
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not remove {Dir}: {Error}", dir, e.Message);
        }
    }
}
