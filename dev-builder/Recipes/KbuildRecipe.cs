using Modulus.Core.Errors;

namespace Modulus.DevBuilder.Recipes;

/// <summary>Any out-of-tree module source, a directory or a tarball: <c>make -C &lt;headers&gt; M=&lt;src&gt; modules</c>.</summary>
internal sealed class KbuildRecipe(SourceFetcher fetcher, RecipeSteps steps) : IBuildRecipe
{
    public string Kind => "kbuild";

    public async Task BuildAsync(BuildContext context, CancellationToken cancellationToken)
    {
        var source = context.Spec.Source
            ?? throw new ModulusException("--driver-source is required for --driver-kind kbuild: a directory or tarball of module sources", ExitCodes.InvalidInput);
        context.Source = await fetcher.FetchAsync(source, context.Spec.SourceSha256, context.WorkDir, context.Say, cancellationToken);
        var local = context.Source.Path;

        // Build in a copy: kbuild writes its objects next to the sources.
        var src = Path.Combine(context.WorkDir, "src");
        if (Directory.Exists(local))
        {
            RecipeSteps.CopyTree(local, src);
        }
        else
        {
            Directory.CreateDirectory(src);
            await steps.RunAsync(context, "tar", ["-xf", local, "-C", src], cancellationToken);
        }

        var buildDir = FindBuildDir(src, source);
        await steps.MakeAsync(context, ["-C", context.Kernel.Path, $"M={buildDir}", "modules"], cancellationToken);
        RecipeSteps.CollectModules(context, buildDir, SearchOption.AllDirectories);
        await steps.DepmodAsync(context, cancellationToken);
    }

    private static string FindBuildDir(string src, string source)
    {
        static bool HasMakefile(string dir) => File.Exists(Path.Combine(dir, "Kbuild")) || File.Exists(Path.Combine(dir, "Makefile"));

        if (HasMakefile(src))
        {
            return src;
        }

        var dirs = Directory.GetDirectories(src);
        return dirs.Length == 1 && HasMakefile(dirs[0])
            ? dirs[0]
            : throw new ModulusException($"driver source '{source}' has no Kbuild or Makefile at its top (or in its single top-level directory)", ExitCodes.InvalidInput);
    }
}
