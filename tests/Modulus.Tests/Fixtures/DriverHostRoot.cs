namespace Modulus.Tests.Fixtures;

/// <summary>
/// A GPU node's root file system in a directory: the artifact published to a file store by the real
/// <c>modulus publish</c>, then installed by modulus' own <see cref="Modulus.Install.Installer"/> onto the node root
/// — fetched into the node's cache, the driver path linked, ld.so.conf.d written — with a stand-in for the kernel
/// only (this machine cannot load modules), and the device nodes a loaded driver has (real character devices made
/// with mknod; this machine has no NVIDIA GPU, so nothing answers behind them).
/// </summary>
public sealed class DriverHostRoot
{
    public const string DriverPath = "/opt/drivers/nvidia";

    private static readonly (string Name, int Major, int Minor)[] Devices =
        [("null", 1, 3), ("nvidiactl", 195, 255), ("nvidia0", 195, 0), ("nvidia-modeset", 195, 254), ("nvidia-uvm", 510, 0), ("nvidia-uvm-tools", 510, 1)];

    private DriverHostRoot(string root, string entry)
    {
        Root = root;
        Entry = entry;
    }

    /// <summary>The directory that is the node's <c>/</c>.</summary>
    public string Root { get; }

    /// <summary>The cache entry, as a path on the node: <c>/opt/modulus/cache/&lt;gl&gt;/&lt;kernel&gt;/&lt;artifact&gt;</c>.</summary>
    public string Entry { get; }

    /// <summary>A path on the node, as this machine sees it.</summary>
    public string OnNode(string path) => Path.Combine(Root, path.TrimStart('/'));

    public static async Task<DriverHostRoot> CreateAsync(CompiledNvidiaArtifact artifact, TempDirectory dir)
    {
        var store = "file://" + dir.Combine("store");
        var (published, publish) = await ChildProcess.RunAsync(Repo.Modulus, ["publish", "--from", artifact.CopyTo(dir.Combine("copy")), "--store", store], timeout: TestTimeouts.QuickSpan);
        published.Should().Be(0, publish.Output);

        var root = dir.Combine("node");
        var entry = $"/opt/modulus/cache/{CompiledNvidiaArtifact.Gardenlinux}/{KernelUnderTest.Release}/nvidia-{CompiledNvidiaArtifact.Version}-open-amd64";
        var host = new DriverHostRoot(root, entry);
        using (var fileStore = new Modulus.Storage.FileStore(dir.Combine("store")))
        {
            // A node whose kernel has drm loaded already (the stand-in's nvidia-drm needs it, as NVIDIA's does).
            var kernel = new Install.FakeKernelModules(_ => CompiledNvidiaArtifact.Version);
            kernel.Loaded["drm"] = new Modulus.Install.LoadedModule("drm", null, 1, []);
            var installer = new Modulus.Install.Installer(
                new Modulus.Install.InstallHost(kernel, new Install.FakeDeviceNodes(), new Install.FakePciScanner(1), new Install.FakeKernelLog(), new Install.FakeProcessRunner(1)),
                fileStore, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            await installer.InstallAsync(new Modulus.Install.InstallRequest
            {
                Key = new Modulus.Core.Artifacts.ArtifactKey("nvidia", CompiledNvidiaArtifact.Version, Modulus.Core.Artifacts.ModuleType.Open, "amd64", CompiledNvidiaArtifact.Gardenlinux, KernelUnderTest.Release),
                CacheDir = host.OnNode("/opt/modulus/cache"),
                HostRoot = root,
            }, CancellationToken.None);
        }

        new FileInfo(host.OnNode(DriverPath)).LinkTarget.Should().NotBeNull("install links the driver path");

        Directory.CreateDirectory(host.OnNode("/dev"));
        foreach (var (name, major, minor) in Devices)
        {
            var (made, mknod) = await ChildProcess.RunAsync("mknod", ["-m", "0666", host.OnNode("/dev/" + name), "c", $"{major}", $"{minor}"], timeout: TestTimeouts.QuickSpan);
            made.Should().Be(0, mknod.Output);
        }

        return host;
    }

    /// <summary>Makes the driver's nvidia-smi the node's own, <c>/usr/bin/nvidia-smi</c>, with a relative link through the driver path.</summary>
    public void LinkNvidiaSmiAsTheHosts()
    {
        var link = OnNode("/usr/bin/nvidia-smi");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, OnNode(DriverPath + "/bin/nvidia-smi")));
    }
}
