using Modulus.Cache;
using Modulus.Core.Artifacts;

namespace Modulus.Install;

/// <summary>What <c>modulus status</c> reports: this node's kernel, driver, device nodes, cache and readiness.</summary>
internal sealed record NodeStatus(
    string Kernel,
    string? GardenlinuxVersion,
    IReadOnlyList<LoadedModule> Modules,
    IReadOnlyList<string> DeviceNodes,
    string? LiveEntry,
    IReadOnlyList<CacheEntryStatus> CacheEntries,
    bool Ready,
    string Reason)
{
    /// <summary>Version of this JSON's shape (docs/cli.md); it grows only by new fields within one version.</summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(-3)]
    public int SchemaVersion { get; init; } = 1;

    /// <summary>The node this is: --node-name (MODULUS_NODE_NAME), else the host's hostname.</summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(-2)]
    public string? Node { get; init; }

    /// <summary>The driver version of the artifact linked as live, which the loaded modules should have.</summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string? ExpectedDriverVersion { get; init; }

    /// <summary>The version of the loaded <c>nvidia</c> module (the first in the linked artifact's load order); null when none is loaded.</summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string? LiveDriverVersion { get; init; }

    /// <summary>
    /// The driver link as the host sees it (normalized): the value for the GPU Operator's
    /// <c>hostPaths.driverInstallDir</c> and the toolkit's driver root.
    /// </summary>
    public string? DriverPath { get; init; }

    /// <summary>The cache entry the link names, as the host sees it: a path without links, for <c>nvidia-ctk --driver-root</c> on the node.</summary>
    public string? DriverRoot { get; init; }

    /// <summary>The outcome of the last install on this node (<c>&lt;cache&gt;/last-install.json</c>), when there was one.</summary>
    public InstallState? LastInstall { get; init; }

    /// <summary>Set when the host is not Garden Linux: what its os-release says instead.</summary>
    public string? Os { get; init; }

    public static async Task<NodeStatus> ReadAsync(IKernelModules modules, HostSettings host, bool verify, CancellationToken cancellationToken, string? node = null)
    {
        var link = new DriverLink(host);
        var live = link.LiveEntry();
        var liveManifest = live is not null && File.Exists(Path.Combine(live, Manifest.FileName)) ? await ManifestFile.ReadAsync(live, cancellationToken) : null;
        var names = (liveManifest?.Modules.Select(m => m.Name) ?? []).Concat(NvidiaModules.All).Distinct();
        var loaded = names.Select(modules.Get).OfType<LoadedModule>().ToList();
        var dev = host.HostPath("/dev");
        var nodes = Directory.Exists(dev) ? Directory.GetFiles(dev, "nvidia*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];

        var entries = new List<CacheEntryStatus>();
        foreach (var entry in new HostCache(host.CacheDir).Entries())
        {
            var state = !entry.HasManifest ? "incomplete (no manifest.json)" : "not verified";
            if (verify && entry.HasManifest)
            {
                var problems = await ManifestFile.CompareAsync(entry.Directory, await ManifestFile.ReadAsync(entry.Directory, cancellationToken), cancellationToken);
                state = problems.Count == 0 ? "verified" : "damaged: " + string.Join("; ", problems.Take(3));
            }

            entries.Add(new CacheEntryStatus(entry.Name, link.Names(entry.Directory), state));
        }

        var required = liveManifest?.Modules.Select(m => m.Name).Where(m => !NvidiaModules.Optional.Contains(m)).ToList() ?? [];
        var why = liveManifest is null
            ? $"no driver is linked at {link.Path}"
            : new LiveDriver(modules, new DevDeviceNodes(host.HostRoot), link).WhyNotLive(required, liveManifest.Driver.Version, live!);
        var ready = why is null;
        var reason = why ?? $"{liveManifest!.Driver.Name} {liveManifest.Driver.Version} is live";

        // Not ready: the last install's own words say why (e.g. "no NVIDIA GPU was found ...").
        var last = InstallState.Read(host.CacheDir);
        if (!ready && last is { Succeeded: false })
        {
            reason += $"; the last install ({last.Artifact}, {last.At:u}) failed: {last.Message}";
        }

        var gardenlinux = HostFacts.GardenlinuxVersion(host.HostRoot);
        return new NodeStatus(HostFacts.RunningKernel(host.HostRoot), gardenlinux, loaded, nodes!, live, entries, ready, reason)
        {
            Node = node ?? HostName(host.HostRoot),
            DriverPath = live is null ? null : link.HostPath,
            DriverRoot = link.LiveEntryOnHost(),
            ExpectedDriverVersion = liveManifest?.Driver.Version,
            LiveDriverVersion = loaded.FirstOrDefault(l => l.Name == (liveManifest is { Modules.Count: > 0 } ? liveManifest.Modules[0].Name : NvidiaModules.Nvidia))?.Version,
            LastInstall = last,
            Os = gardenlinux is null ? HostFacts.DescribeOs(host.HostRoot) : null,
        };
    }

    private static string HostName(string hostRoot)
    {
        var file = Path.Combine(hostRoot, "etc", "hostname");
        return File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } name ? name : Environment.MachineName;
    }
}

internal sealed record CacheEntryStatus(string Entry, bool Live, string State);
