using System.Text.Json;
using System.Text.Json.Nodes;
using Modulus.Core.Artifacts;
using Modulus.Core.Pipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>
/// One `modulus compile` against a dev-builder whose headers are those of several real kernels, as in Garden Linux's
/// kmodbuild image (<see cref="KernelSysroot"/>): an artifact and a manifest per kernel, real kbuild for each.
/// </summary>
public sealed class SeveralKernelsIntegrationTests : IDisposable
{
    private const string Version = "999.4.1";
    private readonly TempDirectory dir = new();

    private string Store => dir.Combine("store");

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task Builds_and_publishes_an_artifact_for_every_kernel_extracting_the_runfile_once()
    {
        using var sysroot = new KernelSysroot();
        await using var server = new DevBuilderServer { Sysroot = sysroot.Root };
        await server.InitializeAsync();
        var runfile = await FakeNvidiaRunfile.CreateAsync(Version, dir.Combine("runs"));
        server.Ready.Kernels.Select(k => (k.Release, k.Arch)).Should().Equal((KernelUnderTest.Release, "amd64"), (KernelSysroot.CloudRelease, "amd64"));

        var (code, run) = await Compile(server, runfile);

        code.Should().Be(0, run.Output);
        foreach (var kernel in new[] { KernelUnderTest.Release, KernelSysroot.CloudRelease })
        {
            run.Stdout.Should().Contain($"built nvidia-{Version}-open-amd64 for Garden Linux 1877.3, kernel {kernel}");
            var manifest = ReadManifest(Path.Combine(Store, "gardenlinux-1877.3", kernel, $"nvidia-{Version}-open-amd64"));
            manifest.KernelRelease.Should().Be(kernel);
            manifest.Modules.Should().HaveCount(4).And.OnlyContain(m => m.Vermagic.StartsWith(kernel + " ") && m.Path.StartsWith($"lib/modules/{kernel}/"));
            manifest.Build.KernelHeaders.Should().Be(Path.Combine(sysroot.Root, "usr", "src", "linux-headers-" + kernel));
            manifest.Build.Compiler.Should().Be(CompilerOfTheKernel(manifest.Build.KernelHeaders!), "the compiler the headers' .kernelvariables name, which built the kernel");
        }

        run.Stderr.Should().Contain($"Compiling for 2 kernels, one after another: {KernelUnderTest.Release}, {KernelSysroot.CloudRelease}");
        run.Stderr.Should().Contain($"reusing NVIDIA-Linux-x86_64-{Version}.run (sha256 ", "the second kernel builds from the first one's extraction");
        Directory.GetFileSystemEntries(server.OutDir).Should().BeEmpty();

        // list and coverage see one artifact per kernel: a pool on the cloud kernel and one on the default kernel are
        // both covered, a node on a kernel the image does not have is not.
        var (listed, list) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "file://" + Store]);
        listed.Should().Be(0, list.Output);
        list.Stdout.Split('\n').Where(l => l.StartsWith("1877.3", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
            .Should().Equal(KernelUnderTest.Release, KernelSysroot.CloudRelease);
        var nodes = dir.Combine("nodes.json");
        await File.WriteAllTextAsync(nodes, new JsonObject
        {
            ["kind"] = "NodeList",
            ["items"] = new JsonArray(Node("metal-1", KernelUnderTest.Release), Node("cloud-1", KernelSysroot.CloudRelease), Node("cloud-2", KernelSysroot.CloudRelease), Node("old-1", "6.1.0-56-cloud-amd64")),
        }.ToJsonString());
        var (covered, coverage) = await ChildProcess.RunAsync(Repo.Modulus, ["coverage", "--store", "file://" + Store, "--nodes-file", nodes, "--driver-version", Version]);
        covered.Should().Be(3, coverage.Output);
        var rows = coverage.Stdout.Split('\n');
        rows.Should().Contain(l => l.Contains(KernelUnderTest.Release + " ") && l.Contains("    1  open"))
            .And.Contain(l => l.Contains(KernelSysroot.CloudRelease) && l.Contains("    2  open"))
            .And.Contain(l => l.Contains("MISSING: the store has no nvidia-" + Version + " for Garden Linux 1877.3, kernel 6.1.0-56-cloud-amd64"));
    }

    /// <summary>The kernel configuration's CONFIG_CC_VERSION_TEXT: what `&lt;compiler&gt; --version` said when the kernel was built.</summary>
    private static string CompilerOfTheKernel(string headers) =>
        File.ReadLines(Path.Combine(headers, ".config")).Single(l => l.StartsWith("CONFIG_CC_VERSION_TEXT=", StringComparison.Ordinal))
            .Split('=', 2)[1].Trim('"');

    private static JsonNode Node(string name, string kernel) => new JsonObject
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["os-version"] = "1877.3" } },
        ["status"] = new JsonObject { ["nodeInfo"] = new JsonObject { ["kernelVersion"] = kernel, ["osImage"] = "Garden Linux 1877.3" } },
    };

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task Flavours_pick_the_kernels_and_a_second_run_skips_what_the_store_has()
    {
        using var sysroot = new KernelSysroot();
        await using var server = new DevBuilderServer { Sysroot = sysroot.Root };
        await server.InitializeAsync();
        var runfile = await FakeNvidiaRunfile.CreateAsync(Version, dir.Combine("runs"));

        var (code, run) = await Compile(server, runfile, "--kernel-flavours", "cloud");

        code.Should().Be(0, run.Output);
        Directory.GetDirectories(Path.Combine(Store, "gardenlinux-1877.3")).Select(Path.GetFileName).Should().Equal(KernelSysroot.CloudRelease);

        var (again, second) = await Compile(server, runfile);

        again.Should().Be(0, second.Output);
        second.Stdout.Should().Contain($"skipped nvidia-{Version}-open-amd64 for Garden Linux 1877.3, kernel {KernelSysroot.CloudRelease}")
            .And.Contain($"built nvidia-{Version}-open-amd64 for Garden Linux 1877.3, kernel {KernelUnderTest.Release}");

        var (bad, wrong) = await Compile(server, runfile, "--kernel-flavours", "firecracker");
        bad.Should().Be(2, wrong.Output);
        wrong.Stderr.Should().Contain($"--kernel-flavours firecracker: dev-builder has no firecracker kernel of amd64; it has: {KernelUnderTest.Release} (default, amd64), {KernelSysroot.CloudRelease} (cloud, amd64)");
    }

    [Fact(Timeout = TestTimeouts.Vm)]
    public async Task One_kernels_failure_fails_the_run_names_that_kernel_and_keeps_the_others()
    {
        using var sysroot = new KernelSysroot(withBrokenKernel: true);
        await using var server = new DevBuilderServer { Sysroot = sysroot.Root };
        await server.InitializeAsync();
        var runfile = await FakeNvidiaRunfile.CreateAsync(Version, dir.Combine("runs"));

        var (code, run) = await Compile(server, runfile);

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain($"1 of 3 kernels failed to build: kernel {KernelSysroot.BrokenRelease}: building nvidia-{Version}-open-amd64 for Garden Linux 1877.3, kernel {KernelSysroot.BrokenRelease} failed: ")
            .And.Contain($"Built and kept: {KernelUnderTest.Release}, {KernelSysroot.CloudRelease}");
        run.Stdout.Should().Contain($"failed for kernel {KernelSysroot.BrokenRelease}: ");
        Directory.GetDirectories(Path.Combine(Store, "gardenlinux-1877.3")).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Should().Equal(KernelUnderTest.Release, KernelSysroot.CloudRelease);
        Directory.Exists(Path.Combine(server.CacheDir, "1877.3", KernelSysroot.BrokenRelease)).Should().BeFalse("a failed kernel leaves nothing");
    }

    private Task<(int ExitCode, ChildProcess Process)> Compile(DevBuilderServer server, string runfile, params string[] extra) =>
        ChildProcess.RunAsync(Repo.Modulus, [
            "compile", "--cmd-dir", server.Cmd.Path, "--driver-kind", "nvidia-runfile", "--driver-source", "file://" + runfile,
            "--driver-version", Version, "--gardenlinux-version", "1877.3", "--module-type", "open", "--arch", "amd64",
            "--cache-dir", server.CacheDir, "--store", "file://" + Store, .. extra],
            new Dictionary<string, string?> { ["MODULUS_LOG_FORMAT"] = "text" }, timeout: TimeSpan.FromMilliseconds(TestTimeouts.Vm));

    private static Manifest ReadManifest(string artifact) =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(artifact, Manifest.FileName)), ProtocolJson.Options)!;
}
