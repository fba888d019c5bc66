using System.Globalization;
using System.Text.RegularExpressions;

namespace Modulus.Bench;

/// <summary>
/// One driver compiled for 1, 2 and 3 kernels (issue 23): <c>modulus compile --local-builder</c> in a kmodbuild
/// stand-in that holds three kernels' headers, as Garden Linux 1592's and 1877's kmodbuild images do (Debian trixie's
/// default, cloud and rt kernels standing in for default, cloud and firecracker), through tests/vm/compile-in-trixie.sh.
/// Each run starts from an empty cache and store; the <c>.run</c> is extracted once per run, whatever the number of
/// kernels, which the log shows. The driver is the stand-in package unless BENCH_COMPILE_RUN names another. NVIDIA's
/// real one (about 4 minutes per kernel on 2 cores) builds for the first two and not for the third: trixie's rt kernel
/// is PREEMPT_RT, which NVIDIA's Kbuild refuses (<c>preempt_rt_sanity_check</c>; Garden Linux's firecracker kernel is
/// not PREEMPT_RT), so that run fails on its third kernel, and says so.
/// </summary>
internal static partial class CompileScale
{
    private const string StandInVersion = "999.1.2";
    private static readonly string[] Flavours = ["default", "cloud", "rt"];

    /// <summary>The figures' sentence, and the 1-kernel run's cache and store (the default kernel's artifact).</summary>
    public sealed record Result(string Text, bool StandIn, string Version, string Cache, string Store);

    public static Result Run(Shell shell, string work)
    {
        var image = StandInImage(shell);
        var given = System.Environment.GetEnvironmentVariable("BENCH_COMPILE_RUN");
        var runfile = given is { Length: > 0 } ? Path.GetFullPath(given) : StandInRunfile(shell, work);
        var version = RunfileVersion().Match(Path.GetFileName(runfile)) is { Success: true } m
            ? m.Groups[1].Value
            : throw new InvalidOperationException($"bench: {runfile} is not named NVIDIA-Linux-<arch>-<version>.run");

        var measured = new List<Measured>();
        for (var n = 1; n <= Flavours.Length; n++)
        {
            measured.Add(Compile(shell, image, runfile, version, n, Path.Combine(work, $"compile-{n}")));
            if (n > 1)
            {
                shell.Run($"rm -rf '{Path.Combine(work, $"compile-{n}")}'"); // the 1-kernel run's store is the VM's
            }
        }

        var one = measured[0].Seconds;
        var figures = string.Join("; ", measured.Select((r, i) => string.Create(CultureInfo.InvariantCulture,
            $"{i + 1} kernel{(i > 0 ? "s" : string.Empty)} {r.Seconds:F1} s ({r.Seconds / one:F2}× one)")));
        var driver = given is { Length: > 0 } ? Path.GetFileName(runfile) : $"the stand-in driver {version}";
        return new Result(
            string.Create(CultureInfo.InvariantCulture, $"Compile of {driver} in the three-kernel kmodbuild stand-in (`--kernel-flavours default`, `default,cloud`, " +
                $"`default,cloud,rt`; the `.run` extracted once per compile): {figures}; each kernel after the first adds {(measured[^1].Seconds - one) / (Flavours.Length - 1):F1} s."),
            given is not { Length: > 0 }, version, Path.Combine(work, "compile-1", "cache"), Path.Combine(work, "compile-1", "store"));
    }

    /// <summary>The stand-in driver for the default kernel only, for the VM row when the compile rows built another driver.</summary>
    public static Result StandInForVm(Shell shell, string work)
    {
        var dir = Path.Combine(work, "vm-compile");
        Compile(shell, StandInImage(shell), StandInRunfile(shell, work), StandInVersion, 1, dir);
        return new Result(string.Empty, true, StandInVersion, Path.Combine(dir, "cache"), Path.Combine(dir, "store"));
    }

    /// <summary>One compile for the first <paramref name="kernels"/> flavours into DIR/cache and DIR/store; checks that it published one artifact per kernel and extracted the .run once.</summary>
    private static Measured Compile(Shell shell, string image, string runfile, string version, int kernels, string dir)
    {
        var cache = Path.Combine(dir, "cache");
        var store = Path.Combine(dir, "store");
        var flavours = string.Join(',', Flavours.Take(kernels));
        Console.Error.WriteLine($"bench: compile {Path.GetFileName(runfile)} for {kernels} kernel(s) ({flavours}) in {image}");
        var run = shell.Run(
            $"sh '{BenchRepo.Root}/tests/vm/compile-in-trixie.sh' '{Path.GetDirectoryName(runfile)}' '{cache}' '{store}' -- " +
            $"--driver-source 'file://{runfile}' --driver-version {version} --gardenlinux-version {Corpus.Gardenlinux} --module-type open " +
            $"--kernel-flavours {flavours} --cache-dir '{cache}' --store 'file://{store}'{ListedChecksum(runfile)}",
            extra: new Dictionary<string, string> { ["MODULUS_TRIXIE_IMAGE"] = image });
        var log = run.Stdout + run.Stderr;
        var manifests = Directory.EnumerateFiles(store, "manifest.json", SearchOption.AllDirectories).Count();
        var reused = Regex.Count(log, @"reusing NVIDIA-Linux\S+ \(sha256");
        return manifests == kernels && reused == kernels - 1
            ? run
            : throw new InvalidOperationException($"bench: the compile for {kernels} kernel(s) published {manifests} artifacts and reused the extracted .run {reused} times (expected {kernels} and {kernels - 1}):\n{log}");
    }

    private static string StandInImage(Shell shell) =>
        shell.Run($"bash '{BenchRepo.Root}/tests/containers/kmodbuild-standin/build.sh' three").Stdout.Trim().Split('\n').Last();

    /// <summary>
    /// <c> --driver-source-sha256 …</c> where a SHA256SUMS beside the .run lists it (../shared/nvidia's package is
    /// NVIDIA's modules in a self-extracting archive of its own, not Makeself, which dev-builder runs only with its
    /// checksum); nothing otherwise, as for NVIDIA's own Makeself .run.
    /// </summary>
    private static string ListedChecksum(string runfile)
    {
        var sums = Path.Combine(Path.GetDirectoryName(runfile)!, "SHA256SUMS");
        var line = File.Exists(sums)
            ? File.ReadLines(sums).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).FirstOrDefault(f => f.Length == 2 && f[1].TrimStart('*') == Path.GetFileName(runfile))
            : null;
        return line is null ? string.Empty : $" --driver-source-sha256 {line[0]}";
    }

    private static string StandInRunfile(Shell shell, string work) =>
        shell.Run($"sh '{BenchRepo.Root}/tests/fixtures/make-fake-nvidia-run.sh' {StandInVersion} '{Path.Combine(work, "runs")}'").Stdout.Trim();

    [GeneratedRegex(@"^NVIDIA-Linux-[a-z0-9_]+-(\d+\.\d+(?:\.\d+)?)\.run$")]
    private static partial Regex RunfileVersion();
}
