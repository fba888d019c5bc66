using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Install;
using Modulus.Kubernetes;
using Modulus.Storage;
using Modulus.Tests.Fixtures;
using Modulus.Tests.Install;
using Modulus.Upgrade;

namespace Modulus.Tests.Upgrade;

/// <summary>In-place upgrades against the Kubernetes API stand-in: the state machine, the parallelism bound, failures.</summary>
public sealed class InPlaceUpgradeStandInIntegrationTests : IAsyncLifetime
{
    private const string Kernel = "6.6.62-cloud-amd64";
    private readonly TempDirectory dir = new();
    private readonly KubernetesApiStandIn api = new();
    private KubernetesClient client = null!;

    public Task InitializeAsync()
    {
        client = new KubernetesClient(new KubernetesClientOptions
        {
            Configuration = KubernetesClientOptions.Bearer(api.Server, () => "installer"), RetryBaseDelay = TimeSpan.FromMilliseconds(5), RetryMaxDelay = TimeSpan.FromMilliseconds(20), MaxAttempts = 2,
        }, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await api.DisposeAsync();
        dir.Dispose();
    }

    private static UpgradePolicy Policy(int parallel = 1) => new()
    {
        MaxParallelUpgrades = parallel, LeaseNamespace = "kube-system", LeasePrefix = "gpu-upgrade", PollInterval = TimeSpan.FromMilliseconds(20),
        PodDeletionTimeout = TimeSpan.FromSeconds(10),
    };

    private InPlaceUpgrader Upgrader(string node, UpgradePolicy? policy = null) => new(client, client, node, policy ?? Policy(), NullLogger.Instance);

    /// <summary>The upgrade-state values the API saw for <paramref name="node"/>, in order.</summary>
    private List<string> States(string node) =>
    [
        .. api.Requests.Where(r => r.Method == "PATCH" && r.Path == $"/api/v1/nodes/{node}" && r.Body.Contains(NodeLabels.UpgradeState, StringComparison.Ordinal))
            .Select(r => (string)JsonNode.Parse(r.Body)!["metadata"]!["labels"]![NodeLabels.UpgradeState]!),
    ];

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Cordons_evicts_only_gpu_pods_then_uncordons_with_a_label_and_an_event_for_every_state()
    {
        api.AddPod("ml", "trainer", "gpu-1", gpus: 8);
        api.AddPod("web", "frontend", "gpu-1", gpus: 0);
        api.AddPod("kube-system", "device-plugin", "gpu-1", gpus: 1, daemonSet: true);
        var upgrader = Upgrader("gpu-1");

        var session = await upgrader.BeginAsync("999.1.2", "999.2.0", CancellationToken.None);

        api.Unschedulable["gpu-1"].Should().BeTrue();
        api.Pods.Keys.Should().BeEquivalentTo(["web/frontend", "kube-system/device-plugin"], "GPU pods are evicted; other pods and DaemonSet pods stay");
        ((string?)api.Leases["kube-system/gpu-upgrade-0"]["spec"]!["holderIdentity"]).Should().Be("gpu-1");

        await session.CompleteAsync(CancellationToken.None);

        api.Unschedulable["gpu-1"].Should().BeFalse();
        States("gpu-1").Should().Equal("upgrade-required", "cordon-required", "wait-for-jobs-required", "pod-deletion-required", "upgrade-in-progress", "uncordon-required", "upgrade-done");
        api.Requests.Count(r => r.Path.EndsWith("/events", StringComparison.Ordinal) && r.Body.Contains("NvidiaDriverUpgrade", StringComparison.Ordinal)).Should().Be(7);
        ((string?)api.Leases["kube-system/gpu-upgrade-0"]["spec"]!["holderIdentity"]).Should().BeNull("the slot is free again");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task With_one_slot_a_second_node_waits_until_the_first_is_done()
    {
        var first = Upgrader("gpu-a");
        var second = Upgrader("gpu-b");
        var firstSession = await first.BeginAsync("1.0", "2.0", CancellationToken.None);

        var waiting = second.BeginAsync("1.0", "2.0", CancellationToken.None);
        await api.WaitUntilAsync(() => api.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/leases/gpu-upgrade-0", StringComparison.Ordinal)) >= 4, TestTimeouts.QuickSpan);

        waiting.IsCompleted.Should().BeFalse("the only slot is taken");
        api.Unschedulable.Should().NotContainKey("gpu-b", "a node without a slot is not cordoned");
        await firstSession.CompleteAsync(CancellationToken.None);
        await waiting.WaitAsync(TestTimeouts.QuickSpan);
        api.Unschedulable["gpu-b"].Should().BeTrue();
        ((string?)api.Leases["kube-system/gpu-upgrade-0"]["spec"]!["holderIdentity"]).Should().Be("gpu-b");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Two_slots_let_two_nodes_upgrade_at_once()
    {
        await Upgrader("gpu-a", Policy(parallel: 2)).BeginAsync("1.0", "2.0", CancellationToken.None);
        await Upgrader("gpu-b", Policy(parallel: 2)).BeginAsync("1.0", "2.0", CancellationToken.None).WaitAsync(TestTimeouts.QuickSpan);

        api.Leases.Values.Select(l => (string?)l["spec"]!["holderIdentity"]).Should().BeEquivalentTo(["gpu-a", "gpu-b"]);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_node_with_the_skip_label_is_not_touched_and_install_exits_4()
    {
        api.Labels[NodeLabels.UpgradeSkip] = "true";

        var failure = (await FluentActions.Awaiting(() => Upgrader("gpu-1").BeginAsync("1.0", "2.0", CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.ExitCode.Should().Be(ExitCodes.DriverInUse);
        failure.Message.Should().Contain(NodeLabels.UpgradeSkip + "=true");
        api.Unschedulable.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_install_upgrades_a_driver_in_use_in_place_once_its_gpu_pods_are_evicted()
    {
        var (kernel, installer) = await InstallerWithBusyDriverAsync();

        var outcome = await installer.InstallAsync(Request(), CancellationToken.None);

        outcome.AlreadyInstalled.Should().BeFalse();
        kernel.Loaded["nvidia"].Version.Should().Be("999.2.0");
        kernel.Calls.Should().StartWith(["unload nvidia_uvm", "unload nvidia"]);
        api.Unschedulable["gpu-1"].Should().BeFalse();
        States("gpu-1").Should().EndWith(["upgrade-in-progress", "uncordon-required", "upgrade-done"]);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_failure_mid_way_leaves_the_node_cordoned_in_upgrade_failed_with_the_reason()
    {
        var (kernel, installer) = await InstallerWithBusyDriverAsync();
        kernel.Failures["nvidia"] = 19;

        await FluentActions.Awaiting(() => installer.InstallAsync(Request(), CancellationToken.None)).Should().ThrowAsync<ModulusException>();

        api.Unschedulable["gpu-1"].Should().BeTrue("a node whose upgrade failed stays out of service");
        States("gpu-1").Should().EndWith(["upgrade-in-progress", "upgrade-failed"]);
        var failed = api.Requests.Last(r => r.Path.EndsWith("/events", StringComparison.Ordinal));
        ((string?)JsonNode.Parse(failed.Body)!["type"]).Should().Be("Warning");
        ((string?)JsonNode.Parse(failed.Body)!["message"]).Should().Contain("upgrade-failed: installing 999.2.0 failed").And.Contain("stays cordoned");
        ((string?)api.Leases["kube-system/gpu-upgrade-0"]["spec"]!["holderIdentity"]).Should().Be("gpu-1", "the failed node keeps its slot, so a bad version does not spread");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_unload_the_kernel_refuses_ends_in_upgrade_failed_with_an_event_not_a_stack_trace()
    {
        var (kernel, installer) = await InstallerWithBusyDriverAsync();
        kernel.UnloadFailures["nvidia"] = 1; // EPERM, as with /proc/sys/kernel/modules_disabled = 1

        var failure = (await FluentActions.Awaiting(() => installer.InstallAsync(Request(), CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.Message.Should().Contain("cannot unload nvidia 999.1.2").And.Contain("modules_disabled");
        States("gpu-1").Should().EndWith(["upgrade-in-progress", "upgrade-failed"]);
        var failed = api.Requests.Last(r => r.Path.EndsWith("/events", StringComparison.Ordinal));
        ((string?)JsonNode.Parse(failed.Body)!["type"]).Should().Be("Warning");
        api.Unschedulable["gpu-1"].Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_failed_node_keeps_its_slot_after_the_lease_duration_lapses()
    {
        var shortLease = Policy() with { SlotLease = TimeSpan.FromSeconds(1) };
        var session = await Upgrader("gpu-a", shortLease).BeginAsync("1.0", "2.0", CancellationToken.None);
        await session.FailAsync("validation failed.", CancellationToken.None);

        // Without the failure's hold, the Lease lapses after 1 s and gpu-b takes the slot within its 3 s.
        var second = Upgrader("gpu-b", shortLease with { SlotTimeout = TimeSpan.FromSeconds(3) });
        var failure = (await FluentActions.Awaiting(() => second.BeginAsync("1.0", "2.0", CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.Message.Should().Contain("no upgrade slot came free");
        var lease = api.Leases["kube-system/gpu-upgrade-0"]["spec"]!;
        ((string?)lease["holderIdentity"]).Should().Be("gpu-a");
        ((int)lease["leaseDurationSeconds"]!).Should().Be((int)InPlaceUpgrader.HeldAfterFailure.TotalSeconds);
        api.Unschedulable.Should().NotContainKey("gpu-b");
        var message = (string?)JsonNode.Parse(api.Requests.Last(r => r.Path.EndsWith("/events", StringComparison.Ordinal) && r.Body.Contains("gpu-a", StringComparison.Ordinal)).Body)!["message"];
        message.Should().Contain("kubectl -n kube-system delete lease gpu-upgrade-0");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_wait_longer_than_the_lease_renews_the_slot_so_no_second_node_upgrades()
    {
        api.AddPod("ml", "trainer", "gpu-a", gpus: 1);
        var shortLease = Policy() with { SlotLease = TimeSpan.FromSeconds(1), WaitForJobsTimeout = TimeSpan.FromSeconds(4) };
        var first = Upgrader("gpu-a", shortLease).BeginAsync("1.0", "2.0", CancellationToken.None); // waits 4 s for the GPU job
        await api.WaitUntilAsync(() => api.Unschedulable.ContainsKey("gpu-a"), TestTimeouts.QuickSpan);

        var second = Upgrader("gpu-b", shortLease with { SlotTimeout = TimeSpan.FromSeconds(2.5) });
        await FluentActions.Awaiting(() => second.BeginAsync("1.0", "2.0", CancellationToken.None)).Should().ThrowAsync<ModulusException>().WithMessage("*no upgrade slot came free*");

        first.IsCompleted.Should().BeFalse("gpu-a still waits for its GPU job");
        ((string?)api.Leases["kube-system/gpu-upgrade-0"]["spec"]!["holderIdentity"]).Should().Be("gpu-a");
        api.Unschedulable.Should().NotContainKey("gpu-b");
        await first;
    }

    private InstallRequest Request() => new()
    {
        Key = new ArtifactKey("nvidia", "999.2.0", ModuleType.Open, "amd64", "1877.3", Kernel), CacheDir = dir.Combine("cache"), HostRoot = dir.Combine("host"),
    };

    /// <summary>999.1.2 loaded with a user (a GPU pod holds /dev/nvidia0) that goes when the pod is evicted; 999.2.0 in the store.</summary>
    private async Task<(FakeKernelModules Kernel, Modulus.Install.Installer Installer)> InstallerWithBusyDriverAsync()
    {
        Directory.CreateDirectory(dir.Combine("host"));
        var store = new FileStore(dir.Combine("store"));
        var artifact = dir.Combine("build");
        var modules = Path.Combine(artifact, "lib", "modules", Kernel);
        Directory.CreateDirectory(modules);
        await File.WriteAllTextAsync(Path.Combine(modules, "nvidia.ko"), "nvidia 999.2.0");
        await File.WriteAllTextAsync(Path.Combine(modules, "nvidia-uvm.ko"), "nvidia-uvm 999.2.0");
        await ManifestFile.WriteAsync(artifact, new Manifest
        {
            Driver = new DriverInfo("nvidia", "999.2.0", ModuleType.Open, DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = Kernel, Arch = "amd64",
            Files = await ArtifactScanner.ScanFilesAsync(artifact, CancellationToken.None),
            Modules = [new ModuleEntry("nvidia", $"lib/modules/{Kernel}/nvidia.ko", Kernel + " SMP ") { Depends = [] }, new ModuleEntry("nvidia_uvm", $"lib/modules/{Kernel}/nvidia-uvm.ko", Kernel + " SMP ") { Depends = ["nvidia"] }],
            Build = new BuildInfo("test", "test", "gcc", DateTimeOffset.UtcNow, 1), CreatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        await new Publisher(store, NullLogger.Instance).PublishAsync(artifact, CancellationToken.None);

        var kernel = new FakeKernelModules(path => path.Contains("999.2.0", StringComparison.Ordinal) ? "999.2.0" : "999.1.2");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "999.1.2", 2, ["nvidia_uvm"]);
        kernel.Loaded["nvidia_uvm"] = new LoadedModule("nvidia_uvm", "999.1.2", 0, []);
        api.AddPod("ml", "trainer", "gpu-1", gpus: 1);
        api.OnEvicted = _ => kernel.Loaded["nvidia"] = kernel.Loaded["nvidia"] with { RefCount = 1 };
        var installer = new Modulus.Install.Installer(new InstallHost(kernel, new FakeDeviceNodes(), new FakePciScanner(1), new FakeKernelLog(), new FakeProcessRunner(1)), store, null,
            NullLogger.Instance, Upgrader("gpu-1"));
        return (kernel, installer);
    }
}
