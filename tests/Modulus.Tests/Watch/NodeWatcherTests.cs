using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Artifacts;
using Modulus.Install;
using Modulus.Watch;
using Modulus.Kubernetes;
using Modulus.Tests.Fixtures;
using Modulus.Tests.Install;

namespace Modulus.Tests.Watch;

public sealed class NodeWatcherTests : IDisposable
{
    private readonly TempDirectory host = new();

    public void Dispose() => host.Dispose();

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Labels_the_node_while_the_driver_is_live_and_removes_the_label_when_it_goes()
    {
        var entry = host.Combine("opt", "modulus", "cache", "1877.3", "6.6.62", "nvidia-550.1-open-amd64");
        Directory.CreateDirectory(entry);
        await ManifestFile.WriteAsync(entry, new Manifest
        {
            Driver = new DriverInfo("nvidia", "550.1", ModuleType.Open, DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = "6.6.62", Arch = "amd64",
            Files = [new FileEntry("lib/modules/6.6.62/nvidia.ko", new string('0', 64), 1, "0644", null)], Modules = [new ModuleEntry("nvidia", "lib/modules/6.6.62/nvidia.ko", "6.6.62 SMP ")],
            Build = new BuildInfo("t", "t", "gcc", DateTimeOffset.UtcNow, 1), CreatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        Directory.CreateDirectory(host.Combine("opt", "drivers"));
        File.CreateSymbolicLink(host.Combine("opt", "drivers", "nvidia"), "/opt/modulus/cache/1877.3/6.6.62/nvidia-550.1-open-amd64");
        Directory.CreateDirectory(host.Combine("dev"));
        await File.WriteAllTextAsync(host.Combine("dev", "nvidiactl"), string.Empty);
        var kernel = new FakeKernelModules(_ => "550.1");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "550.1", 0, []);
        var api = new RecordingNodeApi();
        using var lifetime = new TestLifetime();
        using var watcher = new NodeWatcher(
            new NodeWatcherOptions(new HostSettings(host.Path, host.Combine("opt", "modulus", "cache"), "/opt/drivers"), TimeSpan.FromMilliseconds(20)),
            kernel, new NodeReporter(api, "gpu-1", NullLogger.Instance), new WatchState(), lifetime, NullLogger<NodeWatcher>.Instance);

        await watcher.StartAsync(CancellationToken.None);
        await api.WaitForPatchAsync(p => p.GetValueOrDefault(NodeLabels.DriverReady) == "true");
        kernel.Loaded.Clear(); // the driver goes away
        await api.WaitForPatchAsync(p => p.ContainsKey(NodeLabels.DriverReady) && p[NodeLabels.DriverReady] is null);
        await watcher.StopAsync(CancellationToken.None);

        api.Events.Should().Equal("Normal NvidiaDriverInstalled", "Warning NvidiaDriverNotReady");
        api.Conditions.Select(c => (c.Type, c.Status)).Should().Equal(("NvidiaDriverReady", true), ("NvidiaDriverReady", false));
        api.Patches[0][NodeLabels.DriverVersion].Should().Be("550.1");
    }

    private sealed class RecordingNodeApi : INodeApi
    {
        private readonly ConcurrentQueue<(Func<IReadOnlyDictionary<string, string?>, bool> Match, TaskCompletionSource Seen)> waiters = new();

        public List<IReadOnlyDictionary<string, string?>> Patches { get; } = [];

        public List<string> Events { get; } = [];

        public Task<IReadOnlyDictionary<string, string>> GetNodeLabelsAsync(string node, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());

        public Task<IReadOnlyDictionary<string, string>> GetNodeAnnotationsAsync(string node, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());

        public Task PatchNodeMetadataAsync(string node, IReadOnlyDictionary<string, string?> labels, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken) =>
            PatchNodeLabelsAsync(node, labels, cancellationToken);

        public Task PatchNodeLabelsAsync(string node, IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken)
        {
            lock (Patches)
            {
                Patches.Add(labels);
            }

            foreach (var (match, seen) in waiters)
            {
                if (match(labels))
                {
                    seen.TrySetResult();
                }
            }

            return Task.CompletedTask;
        }

        public List<NodeConditionUpdate> Conditions { get; } = [];

        public Task<string> ListNodesJsonAsync(string? labelSelector, CancellationToken cancellationToken) => Task.FromResult("""{"items":[]}""");

        public Task PatchNodeConditionAsync(string node, NodeConditionUpdate condition, CancellationToken cancellationToken)
        {
            lock (Conditions)
            {
                Conditions.Add(condition);
            }

            return Task.CompletedTask;
        }

        public Task CreateNodeEventAsync(string node, string type, string reason, string message, CancellationToken cancellationToken)
        {
            lock (Events)
            {
                Events.Add($"{type} {reason}");
            }

            return Task.CompletedTask;
        }

        public Task WaitForPatchAsync(Func<IReadOnlyDictionary<string, string?>, bool> match)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Enqueue((match, seen));
            lock (Patches)
            {
                if (Patches.Any(match))
                {
                    seen.TrySetResult();
                }
            }

            return seen.Task.WaitAsync(TestTimeouts.QuickSpan);
        }
    }
}
