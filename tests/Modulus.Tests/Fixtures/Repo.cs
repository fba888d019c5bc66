namespace Modulus.Tests.Fixtures;

/// <summary>Paths into the repository and to the programs under test (built beside the tests).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    public static string Module(string name) => Path.Combine(Fixtures, "modules", name);

    public static string Bootstrap => Path.Combine(Root, "dev-builder", "bootstrap.sh");

    /// <summary>The modulus apphost in the test output directory (the test project references it).</summary>
    public static string Modulus => Path.Combine(AppContext.BaseDirectory, "modulus");

    public static string DevBuilder => Path.Combine(AppContext.BaseDirectory, "dev-builder");

    /// <summary>
    /// The published, native modulus for this machine's platform, dev-builder beside it: what the image carries
    /// (<c>make test</c> copies it out of the image, or publishes it, before the tests run: <c>make vm-modulus</c>).
    /// Tests of what an operator runs (a terminal's progress, the real driver's compile) run this one.
    /// </summary>
    public static string PublishedModulus
    {
        get
        {
            var path = Path.Combine(Root, ".cache", "vm", "modulus", "modulus");
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: `make test` publishes it (make vm-modulus)");
            }

            return path;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Modulus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Modulus.sln) above " + AppContext.BaseDirectory);
    }
}
