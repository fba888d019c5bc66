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

    /// <summary>The outcome of the last install on this node (<c>&lt;cache&gt;/last-install.json</c>), when there was one.</summary>
    public InstallState? LastInstall { get; init; }

    /// <summary>Set when the host is not Garden Linux: what its os-release says instead.</summary>
    public string? Os { get; init; }

    public static async Task<NodeStatus> ReadAsync(IKernelModules modules, string hostRoot, string cacheDir, string hostDriverPath, bool verify, CancellationToken cancellationToken, string? node = null)
    {
        var link = Path.Combine(hostRoot, hostDriverPath.TrimStart('/'), "nvidia");
        var live = new FileInfo(link).LinkTarget is { } target ? Path.GetFullPath(Path.Combine(hostRoot, target.TrimStart('/'))) : null;
        var liveManifest = live is not null && File.Exists(Path.Combine(live, Manifest.FileName)) ? await ManifestFile.ReadAsync(live, cancellationToken) : null;
        var names = (liveManifest?.Modules.Select(m => m.Name) ?? []).Concat(Installer.NvidiaModules).Distinct();
        var loaded = names.Select(modules.Get).OfType<LoadedModule>().ToList();
        var dev = Path.Combine(hostRoot, "dev");
        var nodes = Directory.Exists(dev) ? Directory.GetFiles(dev, "nvidia*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];

        var entries = new List<CacheEntryStatus>();
        foreach (var entry in new HostCache(cacheDir).Entries())
        {
            var state = !entry.HasManifest ? "incomplete (no manifest.json)" : "not verified";
            if (verify && entry.HasManifest)
            {
                var problems = await ManifestFile.CompareAsync(entry.Directory, await ManifestFile.ReadAsync(entry.Directory, cancellationToken), cancellationToken);
                state = problems.Count == 0 ? "verified" : "damaged: " + string.Join("; ", problems.Take(3));
            }

            entries.Add(new CacheEntryStatus(entry.Name, Path.GetFullPath(entry.Directory) == live, state));
        }

        var required = liveManifest?.Modules.Where(m => !Installer.OptionalModules.Contains(m.Name)).ToList() ?? [];
        var (ready, reason) = (liveManifest, loaded) switch
        {
            (null, _) => (false, $"no driver is linked at {link}"),
            _ when required.Any(m => loaded.All(l => l.Name != m.Name)) =>
                (false, "not loaded: " + string.Join(", ", required.Where(m => loaded.All(l => l.Name != m.Name)).Select(m => m.Name))),
            _ when loaded.FirstOrDefault(l => l.Name == liveManifest.Modules[0].Name)?.Version is { } v && v != liveManifest.Driver.Version =>
                (false, $"{liveManifest.Modules[0].Name} {v} is loaded, the linked artifact is {liveManifest.Driver.Version}"),
            _ when liveManifest.Modules.Any(m => m.Name == "nvidia") && !nodes.Contains("nvidiactl") => (false, "/dev/nvidiactl is missing"),
            _ => (true, $"{liveManifest.Driver.Name} {liveManifest.Driver.Version} is live"),
        };
        // Not ready: the last install's own words say why (e.g. "no NVIDIA GPU was found ...").
        var last = InstallState.Read(cacheDir);
        if (!ready && last is { Succeeded: false })
        {
            reason += $"; the last install ({last.Artifact}, {last.At:u}) failed: {last.Message}";
        }

        return new NodeStatus(HostFacts.RunningKernel(), HostFacts.GardenlinuxVersion(hostRoot), loaded, nodes!, live, entries, ready, reason)
        {
            Node = node ?? HostName(hostRoot),
            ExpectedDriverVersion = liveManifest?.Driver.Version,
            LiveDriverVersion = loaded.FirstOrDefault(l => l.Name == (liveManifest is { Modules.Count: > 0 } ? liveManifest.Modules[0].Name : "nvidia"))?.Version,
            LastInstall = last,
            Os = HostFacts.GardenlinuxVersion(hostRoot) is null ? HostFacts.DescribeOs(hostRoot) : null,
        };
    }

    private static string HostName(string hostRoot)
    {
        var file = Path.Combine(hostRoot, "etc", "hostname");
        return File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } name ? name : Environment.MachineName;
    }
}

internal sealed record CacheEntryStatus(string Entry, bool Live, string State);
