using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.RealDriver;

/// <summary>Runs alone: the real compile takes both cores for minutes and would starve the timed tests beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealDriverCollection
{
    public const string Name = "real NVIDIA driver";
}

/// <summary>
/// NVIDIA's real open kernel modules 595.45.04 (../shared/nvidia) through the whole pipeline: `modulus compile` with a
/// real dev-builder over real FIFOs and real kbuild against Debian's split headers, then `modulus install` of the
/// published artifact into Debian's kernel under QEMU, which has no NVIDIA GPU and whose in-tree modules are .ko.xz it
/// cannot decompress itself (like Garden Linux 1592 and 1877). Nothing here is a stand-in but the node's os-release.
/// </summary>
[Collection(RealDriverCollection.Name)]
public sealed class RealNvidiaDriverIntegrationTests(RealNvidiaArtifact artifact) : IClassFixture<RealNvidiaArtifact>, IDisposable
{
    private static readonly string[] FiveModules = ["nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm", "nvidia_peermem"];
    private readonly TempDirectory dir = new("modulus-real-vm-");

    public void Dispose() => dir.Dispose();

    [RealNvidiaFact]
    public void Compiles_five_stripped_modules_for_this_kernel_in_load_order_with_their_provenance()
    {
        var manifest = artifact.Built();

        manifest.Modules.Select(m => m.Name).Should().Equal(FiveModules, "nvidia first, each module after the ones it depends on");
        manifest.Modules.Should().OnlyContain(m => m.Vermagic.StartsWith(KernelUnderTest.Release + " SMP"), "every module is built for this kernel");
        manifest.Modules.Single(m => m.Name == "nvidia_drm").Depends.Should().BeEquivalentTo(["drm", "drm_kms_helper", "nvidia_modeset"]);
        manifest.Modules.Single(m => m.Name == "nvidia").Depends.Should().Contain("drm", "in-tree dependencies are recorded for install");
        foreach (var module in manifest.Modules)
        {
            KernelModuleInfo.Read(Path.Combine(artifact.Directory, module.Path)).Name.Should().Be(module.Name);
        }

        var build = manifest.Build;
        build.DriverSourceSha256.Should().Be(RealNvidiaPackage.Sha256);
        build.DriverSource.Should().Be("file://" + RealNvidiaPackage.Runfile);
        build.KernelHeaders.Should().Be($"/usr/src/linux-headers-{KernelUnderTest.Release}");
        build.KernelSource.Should().MatchRegex(@"^/usr/src/linux-headers-.*-common$", "Debian splits its headers; NVIDIA's SYSSRC is the -common tree");
        build.Compiler.Should().StartWith("gcc");
        build.ModulusVersion.Should().NotBeNullOrEmpty();
        build.BuilderImage.Should().Be("local");

        build.ModulesStripped.Should().BeTrue();
        var sizes = manifest.Files.Where(f => f.Path.EndsWith(".ko", StringComparison.Ordinal)).Sum(f => f.Size);
        build.ModuleBytes.Should().Be(sizes, "the recorded size is the artifact's");
        build.ModuleBytesBeforeStrip.Should().BeGreaterThan(2 * sizes, "debug info is most of an unstripped module (≈ 95 MB of them)");
        foreach (var module in manifest.Modules)
        {
            ElfSections(Path.Combine(artifact.Directory, module.Path)).Should().NotContain(s => s.StartsWith(".debug_", StringComparison.Ordinal), $"{module.Name} is stripped");
        }

        artifact.Stdout.Should().Contain("modules stripped of debug info:").And.Contain($"sha256 {RealNvidiaPackage.Sha256}");
        artifact.Output.Should().Contain($"{RealNvidiaPackage.FileName} carries no userspace", "the package has no nvidia-smi or libraries, and modulus says so");
        Directory.Exists(Path.Combine(artifact.Directory, "bin")).Should().BeFalse();
        manifest.Blob.Should().NotBeNull("the artifact was published to the file store");
    }

    [RealNvidiaFact(Timeout = TestTimeouts.Vm)]
    public async Task Installs_into_a_real_kernel_without_a_gpu_loads_in_tree_dependencies_first_then_fails_clearly_and_leaves_nothing_loaded()
    {
        artifact.Built();
        var root = dir.Combine("root");
        RecipeCopy(artifact.Store, Path.Combine(root, "store"));
        QemuVm.AddModulusAndInit(root, "init-no-gpu.sh");
        var inTree = QemuVm.AddInTreeModules(root, ["drm", "drm_kms_helper", "video"]);
        inTree.Should().Contain(f => f.EndsWith("/drm.ko.xz", StringComparison.Ordinal), "Garden Linux's in-tree modules are .ko.xz");

        var serial = await QemuVm.BootAsync(root, dir.Path, memoryMiB: 2048);

        serial.Should().Contain("MODULUS-VM: install exit=1", "an install without a GPU fails");
        serial.Should().MatchRegex(@"load the in-tree module drm from \S+/drm\.ko\.xz \(needed by nvidia\)");
        serial.Should().Contain("drm.ko.xz is xz-compressed and this kernel cannot decompress it", "Debian 12's 6.1, like Garden Linux 1592 and 1877, has no CONFIG_MODULE_DECOMPRESS");
        serial.IndexOf("load the in-tree module drm ", StringComparison.Ordinal).Should()
            .BeLessThan(serial.IndexOf("load nvidia from", StringComparison.Ordinal), "in-tree dependencies load before the module that needs them");
        serial.Should().Contain("no NVIDIA GPU was found: the kernel refused nvidia.ko with ENODEV (errno 19). The kernel says: NVRM: ");
        serial.Should().MatchRegex(@"The kernel says: .*NVRM: No NVIDIA GPU found\.", "the kernel's own NVRM lines are quoted");
        serial.Should().Contain("Rolled back: unloaded drm");
        QemuVm.Marker(serial, "modules").Trim('[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Should().NotContain(m => m.StartsWith("nvidia", StringComparison.Ordinal) || m == "drm", "nothing this install loaded is left loaded");
        QemuVm.Marker(serial, "firmware-after").Should().Be(QemuVm.Marker(serial, "firmware-before"), "the firmware search path is restored");
        serial.Should().MatchRegex(@"ready: +no \(.*the last install \(nvidia-595\.45\.04-open-amd64, .*\) failed: no NVIDIA GPU was found");
        serial.Should().Contain("MODULUS-VM: status exit=1");
    }

    private static IReadOnlyList<string> ElfSections(string path)
    {
        var (code, run) = ChildProcess.RunAsync("readelf", ["-S", "-W", path]).GetAwaiter().GetResult();
        code.Should().Be(0, run.Output);
        return [.. run.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('['))
            .Select(l => l[(l.IndexOf(']', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0])];
    }

    private static void RecipeCopy(string from, string to) => Modulus.DevBuilder.Recipes.RecipeSteps.CopyTree(from, to);
}
