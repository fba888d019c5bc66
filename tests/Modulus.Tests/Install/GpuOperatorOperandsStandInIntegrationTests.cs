using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Storage;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// The GPU Operator's operands are kept off a node while it has no live driver (nvidia.com/gpu.deploy.operands=false)
/// and let back as they were once it is live, so that its toolkit and device plugin restart onto the new files:
/// the real client against the API stand-in.
/// </summary>
public sealed class GpuOperatorOperandsStandInIntegrationTests : IAsyncLifetime
{
    private const string Kernel = "6.12.47-cloud-amd64";
    private readonly TempDirectory dir = new();
    private readonly KubernetesApiStandIn api = new();
    private KubernetesClient client = null!;

    public Task InitializeAsync()
    {
        client = new KubernetesClient(new KubernetesClientOptions { Configuration = KubernetesClientOptions.Bearer(api.Server, () => "sa-token") }, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await api.DisposeAsync();
        dir.Dispose();
    }

    private GpuOperatorOperands Operands => new(client, "gpu-1", NullLogger.Instance);

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData(null)]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Stops_them_once_and_restores_exactly_what_was_there(string? before)
    {
        if (before is not null)
        {
            api.Labels[NodeLabels.GpuDeployOperands] = before;
        }

        await Operands.StopAsync("installing", CancellationToken.None);
        await Operands.StopAsync("still installing", CancellationToken.None);

        api.Labels[NodeLabels.GpuDeployOperands].Should().Be("false");
        api.Annotations[NodeLabels.GpuDeployOperandsBefore].Should().Be(before ?? "-", "the value from before the first stop is kept");

        await Operands.ResumeAsync(CancellationToken.None);

        api.Labels.GetValueOrDefault(NodeLabels.GpuDeployOperands).Should().Be(before, "an admin's own value, false included, stays");
        api.Annotations.Should().NotContainKey(NodeLabels.GpuDeployOperandsBefore);
        await Operands.ResumeAsync(CancellationToken.None);
        api.Labels.GetValueOrDefault(NodeLabels.GpuDeployOperands).Should().Be(before, "resuming twice changes nothing");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_install_loads_the_driver_while_the_operands_are_off_and_lets_them_back_when_it_is_live()
    {
        var store = await PublishAsync();
        var seenAtLoad = new List<string?>();
        var kernel = new ObservingKernel(new FakeKernelModules(_ => "999.1.2"), () => seenAtLoad.Add(api.Labels.GetValueOrDefault(NodeLabels.GpuDeployOperands)));

        await Installer(kernel, store).InstallAsync(Request(), CancellationToken.None);

        seenAtLoad.Should().NotBeEmpty().And.OnlyContain(v => v == "false");
        api.Labels.Should().NotContainKey(NodeLabels.GpuDeployOperands, "there was no label before");
        api.Annotations.Should().NotContainKey(NodeLabels.GpuDeployOperandsBefore);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_failed_install_keeps_them_off_a_node_that_has_no_live_driver()
    {
        var store = await PublishAsync();
        var fake = new FakeKernelModules(_ => "999.1.2");
        fake.Failures["nvidia"] = 19;

        await FluentActions.Awaiting(() => Installer(fake, store).InstallAsync(Request(), CancellationToken.None)).Should().ThrowAsync<ModulusException>();

        api.Labels[NodeLabels.GpuDeployOperands].Should().Be("false");
        api.Annotations[NodeLabels.GpuDeployOperandsBefore].Should().Be("-");
    }

    private Modulus.Install.Installer Installer(IKernelModules kernel, IArtifactStore store) =>
        new(new InstallHost(kernel, new FakeDeviceNodes(), new FakePciScanner(1), new FakeKernelLog(), new FakeProcessRunner(1)), store, null, NullLogger.Instance,
            consumers: Operands);

    private InstallRequest Request() => new()
    {
        Key = new ArtifactKey("nvidia", "999.1.2", ModuleType.Open, "amd64", "1877.3", Kernel), CacheDir = dir.Combine("cache"), HostRoot = dir.Combine("host"),
    };

    private async Task<FileStore> PublishAsync()
    {
        Directory.CreateDirectory(dir.Combine("host"));
        var artifact = dir.Combine("build");
        Directory.CreateDirectory(Path.Combine(artifact, "lib", "modules", Kernel));
        await File.WriteAllTextAsync(Path.Combine(artifact, "lib", "modules", Kernel, "nvidia.ko"), "nvidia 999.1.2");
        await ManifestFile.WriteAsync(artifact, new Manifest
        {
            Driver = new DriverInfo("nvidia", "999.1.2", ModuleType.Open, DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = Kernel, Arch = "amd64",
            Files = await ArtifactScanner.ScanFilesAsync(artifact, CancellationToken.None),
            Modules = [new ModuleEntry("nvidia", $"lib/modules/{Kernel}/nvidia.ko", Kernel + " SMP ") { Depends = [] }],
            Build = new BuildInfo("test", "test", "gcc", DateTimeOffset.UtcNow, 1), CreatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        var store = new FileStore(dir.Combine("store"));
        await new Publisher(store, NullLogger.Instance).PublishAsync(artifact, CancellationToken.None);
        return store;
    }

    /// <summary>A kernel that lets the test look at the world whenever a module is loaded.</summary>
    private sealed class ObservingKernel(IKernelModules inner, Action onLoad) : IKernelModules
    {
        public LoadedModule? Get(string name) => inner.Get(name);

        public void Load(string path, string parameters)
        {
            onLoad();
            inner.Load(path, parameters);
        }

        public void Unload(string name) => inner.Unload(name);

        public bool SetFirmwarePath(string path) => inner.SetFirmwarePath(path);

        public string? GetFirmwarePath() => inner.GetFirmwarePath();
    }
}
