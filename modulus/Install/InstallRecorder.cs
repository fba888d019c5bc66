using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Kubernetes;

namespace Modulus.Install;

/// <summary>
/// Records how an install ended, where status, metrics and Kubernetes look: <c>&lt;cache&gt;/last-install.json</c>
/// and, with a node name, the node's labels, its NvidiaDriverReady condition and an Event. A dry run records nothing;
/// failing to record never fails the install.
/// </summary>
internal sealed class InstallRecorder(string cacheDir, NodeReporter? reporter, ILogger logger)
{
    public async Task FailedAsync(ArtifactKey key, ModulusException failure, TimeSpan took)
    {
        Write(new InstallState(key.ArtifactName, false, failure.Message, failure.ExitCode, DateTimeOffset.UtcNow) { DurationSeconds = took.TotalSeconds });
        if (reporter is not null)
        {
            var reason = failure.ExitCode switch { ExitCodes.NotInStore => "NvidiaDriverNotInStore", ExitCodes.DriverInUse => "NvidiaDriverInUse", _ => "NvidiaDriverInstallFailed" };
            await reporter.ReportFailedAsync(reason, failure.Message, CancellationToken.None);
        }
    }

    public async Task NoGpuAsync(ArtifactKey key, string why, CancellationToken cancellationToken)
    {
        Write(new InstallState(key.ArtifactName, false, why, ExitCodes.Success, DateTimeOffset.UtcNow));
        if (reporter is not null)
        {
            await reporter.ReportNoGpuAsync(why, cancellationToken);
        }
    }

    public async Task InstalledAsync(ArtifactKey key, InstallOutcome outcome, string moduleTypeReason, TimeSpan took, CancellationToken cancellationToken)
    {
        Write(new InstallState(key.ArtifactName, true, $"{key.Name} {key.Version} is live", ExitCodes.Success, DateTimeOffset.UtcNow)
        {
            DurationSeconds = took.TotalSeconds, BytesFetched = outcome.BytesFetched,
        });
        if (reporter is not null)
        {
            await reporter.ReportInstalledAsync(key.Version, key.GardenlinuxVersion, outcome.AlreadyInstalled
                ? $"{key.Name} {key.Version} ({key.ModuleType.Name()}) was live already on Garden Linux {key.GardenlinuxVersion}, kernel {key.KernelRelease}"
                : $"{key.Name} {key.Version} ({key.ModuleType.Name()}: {moduleTypeReason}) is live on Garden Linux {key.GardenlinuxVersion}, kernel {key.KernelRelease} ({took.TotalSeconds:F1} s)", cancellationToken);
        }
    }

    private void Write(InstallState state)
    {
        try
        {
            InstallState.Write(cacheDir, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not record the install's outcome in {CacheDir} ({Error}); status will not show it", cacheDir, e.Message);
        }
    }
}
