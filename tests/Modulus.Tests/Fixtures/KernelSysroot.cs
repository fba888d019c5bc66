namespace Modulus.Tests.Fixtures;

/// <summary>
/// A dev-builder sysroot (<c>serve --sysroot</c>) with the headers of several real kernels, as a kmodbuild image has
/// them: this machine's Debian headers (<see cref="KernelUnderTest"/>) and the cloud flavour of the same release that
/// <c>.ci/install-prereqs.sh</c> unpacks into <c>.tools/headers</c>, both with the shared <c>-common</c> source tree;
/// optionally a third kernel whose headers are broken (no source tree, no generated headers), so that its build fails.
/// </summary>
public sealed class KernelSysroot : IDisposable
{
    private readonly TempDirectory dir = new("modulus-sysroot-");

    public KernelSysroot(bool withBrokenKernel = false)
    {
        var src = dir.Combine("usr", "src");
        Directory.CreateDirectory(src);
        var installed = Path.Combine("/usr/src", "linux-headers-" + KernelUnderTest.Release);
        var common = Directory.GetDirectories("/usr/src", "linux-headers-*-common").Single();
        var cloud = Path.Combine(Repo.Root, ".tools", "headers", "usr", "src", "linux-headers-" + CloudRelease);
        if (!Directory.Exists(cloud))
        {
            throw new InvalidOperationException($"{cloud} is missing: run `sh .ci/install-prereqs.sh` (make test does), which unpacks Debian's cloud headers there");
        }

        Directory.CreateSymbolicLink(Path.Combine(src, Path.GetFileName(installed)), installed);
        Directory.CreateSymbolicLink(Path.Combine(src, Path.GetFileName(common)), common);
        Directory.CreateSymbolicLink(Path.Combine(src, Path.GetFileName(cloud)), cloud);
        if (withBrokenKernel)
        {
            var broken = Path.Combine(src, "linux-headers-" + BrokenRelease);
            Directory.CreateDirectory(Path.Combine(broken, "include", "generated"));
            File.WriteAllText(Path.Combine(broken, "include", "generated", "utsrelease.h"), $"#define UTS_RELEASE \"{BrokenRelease}\"\n");
            File.WriteAllText(Path.Combine(broken, ".config"), "CONFIG_X86_64=y\n");
        }
    }

    /// <summary>Debian's cloud kernel of the installed headers' release: 6.1.0-57-amd64 -> 6.1.0-57-cloud-amd64.</summary>
    public static string CloudRelease => KernelUnderTest.Release.EndsWith("-amd64", StringComparison.Ordinal)
        ? KernelUnderTest.Release[..^"-amd64".Length] + "-cloud-amd64"
        : throw new InvalidOperationException($"the installed headers ({KernelUnderTest.Release}) are not Debian's amd64 flavour");

    /// <summary>Sorts between the two real ones, so a run goes on after it fails.</summary>
    public static string BrokenRelease => KernelUnderTest.Release[..^"-amd64".Length] + "-broken-amd64";

    public string Root => dir.Path;

    public void Dispose() => dir.Dispose();
}
