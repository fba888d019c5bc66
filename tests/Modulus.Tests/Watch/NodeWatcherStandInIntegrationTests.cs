using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Artifacts;
using Modulus.Install;
using Modulus.Watch;
using Modulus.Kubernetes;
using Modulus.Tests.Fixtures;
using Modulus.Tests.Install;

namespace Modulus.Tests.Watch;

/// <summary>`modulus watch`'s loop with the real client against the API stand-in, which goes down mid-change.</summary>
public sealed class NodeWatcherStandInIntegrationTests : IAsyncLifetime
{
    private readonly TempDirectory host = new();
    private readonly KubernetesApiStandIn api = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        host.Dispose();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_ready_label_and_condition_converge_on_the_drivers_state_once_the_api_is_back()
    {
        var kernel = LiveDriver();
        using var client = new KubernetesClient(new KubernetesClientOptions
        {
            Configuration = KubernetesClientOptions.Bearer(api.Server, () => "sa-token"), RetryBaseDelay = TimeSpan.FromMilliseconds(5), RetryMaxDelay = TimeSpan.FromMilliseconds(20), MaxAttempts = 2,
        }, NullLogger.Instance);
        using var lifetime = new TestLifetime();
        using var watcher = new NodeWatcher(
            new NodeWatcherOptions(new HostSettings(host.Path, host.Combine("opt", "modulus", "cache"), "/opt/drivers"), TimeSpan.FromMilliseconds(50)),
            kernel, new NodeReporter(client, "gpu-7", NullLogger.Instance), new WatchState(), lifetime, NullLogger<NodeWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        await api.WaitUntilAsync(() => api.Labels.GetValueOrDefault(NodeLabels.DriverReady) == "true" && Condition() == "True", TestTimeouts.QuickSpan);

        api.Down = true;
        kernel.Loaded.Clear(); // the driver goes while the API is down
        await api.WaitUntilAsync(() => api.Refused >= 4, TestTimeouts.QuickSpan); // the watcher tried, more than one round of retries
        api.Labels[NodeLabels.DriverReady].Should().Be("true", "nothing reached the API while it was down");
        api.Down = false;
        await api.WaitUntilAsync(() => !api.Labels.ContainsKey(NodeLabels.DriverReady) && Condition() == "False", TestTimeouts.QuickSpan);
        await watcher.StopAsync(CancellationToken.None);

        ((string?)api.Conditions[NodeLabels.ReadyCondition]["reason"]).Should().Be("NvidiaDriverNotReady");
        lifetime.Stopped.Should().BeFalse("an API outage is no reason to stop watching");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_gpu_operators_operands_leave_while_the_driver_is_gone_and_come_back_when_it_is_live()
    {
        var kernel = LiveDriver();
        using var client = new KubernetesClient(new KubernetesClientOptions { Configuration = KubernetesClientOptions.Bearer(api.Server, () => "sa-token") }, NullLogger.Instance);
        using var lifetime = new TestLifetime();
        using var watcher = new NodeWatcher(
            new NodeWatcherOptions(new HostSettings(host.Path, host.Combine("opt", "modulus", "cache"), "/opt/drivers"), TimeSpan.FromMilliseconds(50)),
            kernel, new NodeReporter(client, "gpu-7", NullLogger.Instance), new WatchState(), lifetime, NullLogger<NodeWatcher>.Instance,
            new GpuOperatorOperands(client, "gpu-7", NullLogger.Instance));
        await watcher.StartAsync(CancellationToken.None);
        await api.WaitUntilAsync(() => api.Labels.GetValueOrDefault(NodeLabels.DriverReady) == "true", TestTimeouts.QuickSpan);
        api.Labels.Should().NotContainKey(NodeLabels.GpuDeployOperands, "a live driver keeps the operator's operands where they are");

        var loaded = kernel.Loaded["nvidia"];
        kernel.Loaded.Clear();
        await api.WaitUntilAsync(() => api.Labels.GetValueOrDefault(NodeLabels.GpuDeployOperands) == "false", TestTimeouts.QuickSpan);
        kernel.Loaded["nvidia"] = loaded;
        await api.WaitUntilAsync(() => api.Labels.GetValueOrDefault(NodeLabels.DriverReady) == "true" && !api.Labels.ContainsKey(NodeLabels.GpuDeployOperands), TestTimeouts.QuickSpan);
        await watcher.StopAsync(CancellationToken.None);

        api.Annotations.Should().NotContainKey(NodeLabels.GpuDeployOperandsBefore);
    }

    private string? Condition() => api.Conditions.TryGetValue(NodeLabels.ReadyCondition, out var c) ? (string?)c["status"] : null;

    /// <summary>A host root where nvidia 550.1 is linked, loaded and has /dev/nvidiactl.</summary>
    private FakeKernelModules LiveDriver()
    {
        var entry = host.Combine("opt", "modulus", "cache", "1877.3", "6.6.62", "nvidia-550.1-open-amd64");
        Directory.CreateDirectory(entry);
        ManifestFile.WriteAsync(entry, new Manifest
        {
            Driver = new DriverInfo("nvidia", "550.1", ModuleType.Open, DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = "6.6.62", Arch = "amd64",
            Files = [new FileEntry("lib/modules/6.6.62/nvidia.ko", new string('0', 64), 1, "0644", null)], Modules = [new ModuleEntry("nvidia", "lib/modules/6.6.62/nvidia.ko", "6.6.62 SMP ")],
            Build = new BuildInfo("t", "t", "gcc", DateTimeOffset.UtcNow, 1), CreatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None).GetAwaiter().GetResult();
        Directory.CreateDirectory(host.Combine("opt", "drivers"));
        File.CreateSymbolicLink(host.Combine("opt", "drivers", "nvidia"), "/opt/modulus/cache/1877.3/6.6.62/nvidia-550.1-open-amd64");
        Directory.CreateDirectory(host.Combine("dev"));
        File.WriteAllText(host.Combine("dev", "nvidiactl"), string.Empty);
        var kernel = new FakeKernelModules(_ => "550.1");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "550.1", 0, []);
        return kernel;
    }
}
