using Modulus.Core.Errors;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// The extracted <c>.run</c>, shared by the builds of one compile: modulus asks for one kernel per request, and every
/// kernel of a kmodbuild image builds from the same package. Keyed by the file's SHA-256 under
/// <c>&lt;work&gt;/.runfiles/</c>; only the latest is kept, and it goes with the work dir. Each build compiles a copy
/// of the kernel tree (make writes its objects into it).
/// </summary>
internal sealed class RunfileExtractions(BuilderPaths paths, RecipeSteps steps)
{
    private string Root => Path.Combine(paths.WorkDir, ".runfiles");

    public async Task<string> ExtractAsync(BuildContext context, string runfile, string sha256, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(Root, sha256);
        if (Directory.Exists(dir))
        {
            context.Say($"reusing {Path.GetFileName(runfile)} (sha256 {sha256}) as an earlier build extracted it");
            return dir;
        }

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        var partial = Path.Combine(Root, "partial-" + sha256);
        Directory.CreateDirectory(Root);
        try
        {
            await steps.RunQuietlyAsync(context, "sh", [runfile, "-x", "--target", partial], $"extracting {Path.GetFileName(runfile)}", cancellationToken);
            Directory.Move(partial, dir);
        }
        catch (Exception e) when (e is ModulusException or OperationCanceledException or IOException)
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            throw;
        }

        return dir;
    }
}
