using Modulus.Core.Artifacts;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// NVIDIA's real 595.45.04 (<see cref="RealNvidiaPackage"/>) compiled once per test run by <c>make compiler-pod</c>'s
/// script: the chart's compiler pod under podman, the modulus image (<c>make image</c>) beside the kmodbuild stand-in
/// (Debian trixie: kernel 6.12, gcc 14), for the default kernel, published to a file:// store that stays in
/// <see cref="Store"/> for later tests (the trixie 6.12 kernel under QEMU installs from it).
/// </summary>
public static class KmodbuildStandInNvidia
{
    public const string Gardenlinux = "1877.3";

    private static readonly Lazy<Task<Compiled>> Once = new(CompileAsync);

    /// <summary>Where the store stays: <c>.cache/kmodbuild-standin-nvidia/store</c> of the checkout.</summary>
    public static string Store => Path.Combine(Repo.Root, ".cache", "kmodbuild-standin-nvidia", "store");

    public static Task<Compiled> CompiledAsync() => Once.Value;

    private static async Task<Compiled> CompileAsync()
    {
        using var values = new TempDirectory("modulus-standin-values-");
        var file = values.Combine("values.yaml");
        await File.WriteAllTextAsync(file, $"""
            kernelFlavours: [default]
            nvidiaInstaller:
              moduleType: open
              driverSourceSha256: "{RealNvidiaPackage.Sha256}"
            """);
        var (code, run) = await ChildProcess.RunAsync("bash", [Path.Combine(Repo.Root, ".ci", "compiler-pod.sh")], new Dictionary<string, string?>
        {
            ["DRIVER_RUN"] = RealNvidiaPackage.Runfile, ["DRIVER_VERSION"] = RealNvidiaPackage.Version, ["GARDENLINUX_VERSION"] = Gardenlinux,
            ["STORE"] = Store, ["VALUES"] = file, ["KMODBUILD_IMAGE"] = null, ["ARCH"] = "amd64", ["DEBUG"] = "true",
        }, timeout: TimeSpan.FromMinutes(25));
        var manifests = code != 0 || !Directory.Exists(Store) ? [] : await Task.WhenAll(
            Directory.GetFiles(Path.Combine(Store, "gardenlinux-" + Gardenlinux), Manifest.FileName, SearchOption.AllDirectories)
                .Where(p => p.Contains($"/nvidia-{RealNvidiaPackage.Version}-open-amd64/", StringComparison.Ordinal))
                .Select(p => ManifestFile.ReadAsync(Path.GetDirectoryName(p)!, CancellationToken.None)));
        return new Compiled(code, run.Stdout, run.Output, manifests);
    }

    /// <summary>The run: its exit code, its output, and the manifests of 595.45.04 the store holds afterwards.</summary>
    public sealed record Compiled(int ExitCode, string Stdout, string Output, IReadOnlyList<Manifest> Manifests)
    {
        public IReadOnlyList<Manifest> Built()
        {
            ExitCode.Should().Be(0, Output);
            return Manifests;
        }
    }
}
