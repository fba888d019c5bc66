using Modulus.Tests.Fixtures;

namespace Modulus.Tests.RealDriver;

/// <summary>
/// NVIDIA's real 595.45.04 on Garden Linux's kernel line: compiled by the chart's compiler pod under podman, the
/// modulus image beside the kmodbuild stand-in (Debian trixie, which Garden Linux 1877 and later build on), against
/// trixie's 6.12 headers with gcc 14, as `make compiler-pod` runs it (<see cref="KmodbuildStandInNvidia"/>).
/// </summary>
[Collection(RealDriverCollection.Name)]
public sealed class RealNvidiaInKmodbuildStandInIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new("modulus-standin-nvidia-");

    public void Dispose() => dir.Dispose();

    [RealNvidiaFact(Timeout = 1_800_000)]
    public async Task Compiles_nvidias_modules_in_the_compiler_pod_against_trixies_6_12_headers_with_gcc_14()
    {
        var compiled = await KmodbuildStandInNvidia.CompiledAsync();

        var manifest = compiled.Built().Should().ContainSingle("kernelFlavours [default] picks the default kernel of the two").Subject;
        var kernel = manifest.KernelRelease;
        kernel.Should().MatchRegex(@"^6\.12\.[0-9]+\+deb13-amd64$");
        compiled.Output.Should().Contain("the store (" + KmodbuildStandInNvidia.Store + ") holds a verified artifact for every kernel: " + kernel);
        manifest.Modules.Select(m => m.Name).Should().Equal("nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm", "nvidia_peermem");
        manifest.Modules.Should().OnlyContain(m => m.Vermagic.StartsWith(kernel + " SMP "));
        manifest.Build.BuilderImage.Should().Be("localhost/kmodbuild-standin:amd64-trixie", "the dev container's image, from the chart");
        manifest.Build.Compiler.Should().MatchRegex(@"^x86_64-linux-gnu-gcc-14 \(Debian 14\.[0-9.-]+\) 14\.[0-9.]+$");
        manifest.Build.KernelHeaders.Should().Be($"/usr/src/linux-headers-{kernel}");
        manifest.Build.DriverSourceSha256.Should().Be(RealNvidiaPackage.Sha256);
        manifest.Build.DriverSource.Should().Be($"file:///drivers/{RealNvidiaPackage.FileName}", "the chart mounted the package into the dev container");

        // What the store serves is what gcc 14 built: fetch it back and read the compiler's mark in each module.
        var (fetched, fetch) = await ChildProcess.RunAsync(Repo.Modulus, [
            "fetch", "--store", "file://" + KmodbuildStandInNvidia.Store, "--driver-version", RealNvidiaPackage.Version,
            "--gardenlinux-version", KmodbuildStandInNvidia.Gardenlinux, "--kernel-version", kernel, "--module-type", "open", "--arch", "amd64", "--to", dir.Combine("fetched")]);
        fetched.Should().Be(0, fetch.Output);
        foreach (var module in manifest.Modules)
        {
            var (code, comment) = await ChildProcess.RunAsync("readelf", ["-p", ".comment", Path.Combine(dir.Combine("fetched"), module.Path)]);
            code.Should().Be(0, comment.Output);
            comment.Stdout.Should().Contain("GCC: (Debian 14.", $"{module.Name} was compiled by trixie's gcc 14 (nv-kernel.o_binary, prebuilt, may carry another)");
        }
    }
}
