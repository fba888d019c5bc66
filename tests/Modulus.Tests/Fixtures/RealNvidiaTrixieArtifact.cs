using Modulus.Core.Artifacts;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// The real 595.45.04 package built for trixie's 6.12 (<see cref="VmKernel.Trixie"/>) with its headers and gcc-14:
/// the build the chart's compiler pod made in the kmodbuild stand-in (<see cref="KmodbuildStandInNvidia"/>, compiled
/// once per test run), taken from the store it published to. Nothing is built where the package is absent (the tests skip).
/// </summary>
public sealed class RealNvidiaTrixieArtifact : IAsyncLifetime
{
    public const string Gardenlinux = KmodbuildStandInNvidia.Gardenlinux;

    public string Store => KmodbuildStandInNvidia.Store;

    private KmodbuildStandInNvidia.Compiled? compiled;

    public async Task InitializeAsync()
    {
        if (RealNvidiaPackage.Present)
        {
            compiled = await KmodbuildStandInNvidia.CompiledAsync();
        }
    }

    /// <summary>The manifest for the VM's kernel, or a failure that shows the whole compile output.</summary>
    public Manifest Built()
    {
        var manifests = compiled!.Built();
        var release = VmKernel.Trixie.Release;
        return manifests.SingleOrDefault(m => m.KernelRelease == release)
            ?? throw new InvalidOperationException(
                $"the compiler pod built 595.45.04 for {string.Join(", ", manifests.Select(m => m.KernelRelease))}, not for the VM's trixie kernel {release}: " +
                "the kmodbuild stand-in's headers and the VM kernel (.tools/vm-trixie) came from different trixie point releases; remove both caches (.tools/images, .tools/vm-trixie) and run make test again");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
