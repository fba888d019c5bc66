using System.Diagnostics;

namespace Modulus.Tests.Fixtures;

/// <summary>Paths into the repository and to the programs under test.</summary>
public static class Repo
{
    /// <summary>
    /// Set to 1, the tests run the JIT-compiled modulus and dev-builder built beside them instead of the native ones:
    /// quicker to iterate on (no native publish after each change), but not what ships. CI never sets it.
    /// </summary>
    public const string BuildOutputVariable = "MODULUS_TESTS_BUILD_OUTPUT";

    private static readonly Lazy<string> CurrentSources = new(HashSources);

    public static string Root { get; } = FindRoot();

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    public static string Module(string name) => Path.Combine(Fixtures, "modules", name);

    public static string Bootstrap => Path.Combine(Root, "dev-builder", "bootstrap.sh");

    /// <summary>
    /// The modulus every test runs as a process: the published, native one for this machine's platform, what the image
    /// carries (<see cref="Native"/>), or the build output with <see cref="BuildOutputVariable"/>.
    /// </summary>
    public static string Modulus => RunsBuildOutput ? Path.Combine(AppContext.BaseDirectory, "modulus") : Native("modulus");

    /// <summary>dev-builder as the tests run it: the native one beside <see cref="Modulus"/>, as the image's payload holds it.</summary>
    public static string DevBuilder => RunsBuildOutput ? Path.Combine(AppContext.BaseDirectory, "dev-builder") : Native("dev-builder");

    public static bool RunsBuildOutput => Environment.GetEnvironmentVariable(BuildOutputVariable) == "1";

    /// <summary>
    /// A native program from <c>.cache/vm/FOLDER</c> (<c>modulus</c>, this machine's platform; <c>modulus-arm64</c>):
    /// <c>make vm-modulus</c> (which <c>make test</c> runs) copies modulus and dev-builder out of the image built from
    /// these sources, or publishes them, and writes the sources' hash beside them. A program built from other sources is
    /// refused rather than tested.
    /// </summary>
    public static string Native(string program, string folder = "modulus")
    {
        var dir = Path.Combine(Root, ".cache", "vm", folder);
        var path = Path.Combine(dir, program);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: `make vm-modulus` publishes it (`make test` does), " +
                $"or set {BuildOutputVariable}=1 to test the build output");
        }

        var stamp = Path.Combine(dir, "sources");
        var rebuild = $"run `make vm-modulus` (`make test` does), or set {BuildOutputVariable}=1 to test the build output";
        if (!File.Exists(stamp))
        {
            throw new InvalidOperationException($"{path} has no record of the sources it was built from ({stamp} is missing): {rebuild}");
        }

        var built = File.ReadAllText(stamp).Trim();
        if (built != CurrentSources.Value)
        {
            throw new InvalidOperationException($"{path} was built from other sources ({built}) than these ({CurrentSources.Value}): {rebuild}");
        }

        return path;
    }

    /// <summary>The hash the image is labelled with (<c>.ci/images/modulus-image.sh --sources</c>).</summary>
    private static string HashSources()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Root, ".ci", "images", "modulus-image.sh"), "--sources"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var hash = stdout.Result.Trim();
        if (process.ExitCode != 0 || hash.Length == 0)
        {
            throw new InvalidOperationException($"modulus-image.sh --sources failed ({process.ExitCode}): {stderr}");
        }

        return hash;
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
