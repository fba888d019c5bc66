using Microsoft.Extensions.Logging;
using Modulus.Cache;
using Modulus.Core.Artifacts;

namespace Modulus.Install;

/// <summary>
/// One call of <see cref="Installer.InstallAsync"/>: its request, the steps it took (or, with --dry-run, would take),
/// what it must undo if it fails (<see cref="Journal"/>), and the upgrade it is part of. The step owners are
/// stateless; everything that belongs to one install lives here.
/// </summary>
internal sealed class InstallRun(InstallRequest request, ILogger logger)
{
    private readonly List<string> steps = [];

    public InstallRequest Request => request;

    public ArtifactKey Key => request.Key;

    public HostSettings Host { get; } = request.Host;

    public HostCache Cache { get; } = new(request.CacheDir);

    /// <summary>The cache entry of <see cref="Key"/>.</summary>
    public string Entry { get; } = new HostCache(request.CacheDir).EntryPath(request.Key);

    public bool DryRun => request.DryRun;

    public IReadOnlyList<string> Steps => steps;

    /// <summary>What this run changed that a failure after the swap undoes.</summary>
    public RollbackJournal Journal { get; } = new();

    /// <summary>The in-place upgrade this run is part of, once it took the node out of service.</summary>
    public IUpgradeSession? Upgrade { get; set; }

    /// <summary>Bytes fetched from the store (the blob's size); 0 when the cache had the artifact.</summary>
    public long BytesFetched { get; set; }

    /// <summary>Does <paramref name="change"/> and records it; with --dry-run only records it (the command prints the plan).</summary>
    public void Do(string description, Action change)
    {
        steps.Add(description);
        if (request.DryRun)
        {
            return;
        }

        logger.LogInformation("{Step:l}", description);
        change();
    }

    public async Task DoAsync(string description, Func<Task> change)
    {
        steps.Add(description);
        if (request.DryRun)
        {
            return;
        }

        logger.LogInformation("{Step:l}", description);
        await change();
    }

    /// <summary>Records a step that this run cannot take yet (it depends on what a dry run does not produce).</summary>
    public void Defer(string description) => steps.Add(description);

    public InstallOutcome Outcome(bool alreadyInstalled = false, bool noGpu = false) =>
        new(Entry, alreadyInstalled, steps) { NoGpu = noGpu, BytesFetched = BytesFetched };
}
