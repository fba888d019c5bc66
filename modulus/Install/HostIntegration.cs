using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Files;
using Modulus.Core.Processes;

namespace Modulus.Install;

/// <summary>
/// Once the driver is live, the host finds it: the driver link names the live entry, an ld.so.conf.d snippet names
/// its libraries and the host's ldconfig has run, and nvidia-persistenced runs where asked.
/// </summary>
internal sealed class HostIntegration(IProcessRunner runner, ILogger logger)
{
    private const string LdConfSnippet = "/etc/ld.so.conf.d/modulus-nvidia.conf";
    private static readonly string[] LdconfigLocations = ["/sbin/ldconfig", "/usr/sbin/ldconfig"];

    public async Task IntegrateAsync(InstallRun run, Manifest manifest, DriverLink link, CancellationToken cancellationToken)
    {
        var layout = ArtifactLayout.Of(manifest);
        if (!link.PointsAt(run.Entry))
        {
            run.Do($"link {link.Path} to {link.TargetFor(run.Entry)}", () => link.Point(run.Entry));
        }

        var conf = run.Host.HostPath(LdConfSnippet);
        var line = link.HostLibraryDirectory(layout) + "\n";
        if (!File.Exists(conf) || File.ReadAllText(conf) != line)
        {
            // Below the host root without following a link on the way (/etc/ld.so.conf.d is the host's).
            run.Do($"write {conf}", () => AtomicFile.WriteBeneath(Path.GetFullPath(run.Host.HostRoot), LdConfSnippet.TrimStart('/'), System.Text.Encoding.UTF8.GetBytes(line)));
        }

        await RunLdconfigAsync(run, link.HostLibraryDirectory(layout), cancellationToken);
        await StartPersistencedAsync(run, layout, cancellationToken);
    }

    /// <summary>
    /// Runs the host's ldconfig so that programs on the host find the driver's libraries through the ld.so.conf.d
    /// snippet: inside the host root (<c>chroot &lt;host-root&gt; ldconfig</c>) when it is not /. A host without
    /// ldconfig gets a warning: its programs then need LD_LIBRARY_PATH.
    /// </summary>
    private async Task RunLdconfigAsync(InstallRun run, string libraries, CancellationToken cancellationToken)
    {
        var root = run.Host.HostRoot;
        var ldconfig = LdconfigLocations.FirstOrDefault(p => File.Exists(run.Host.HostPath(p)));
        if (ldconfig is null)
        {
            logger.LogWarning("The host has no ldconfig under {Root}; its programs find the driver's libraries only through LD_LIBRARY_PATH={Lib}", root, libraries);
            return;
        }

        var spec = root.TrimEnd('/').Length > 0 ? new ProcessSpec("chroot", [root, ldconfig]) : new ProcessSpec(ldconfig, []);
        await run.DoAsync($"run the host's ldconfig ({spec.CommandLine})", async () =>
        {
            try
            {
                var result = await runner.RunAsync(spec with { ValidateExitCode = false }, null, cancellationToken);
                if (result.ExitCode != 0)
                {
                    logger.LogWarning("{Command} exited with {ExitCode}; the host's library cache may not list the driver's libraries", spec.CommandLine, result.ExitCode);
                }
            }
            catch (ModulusException e) when (e is not CommandFailedException)
            {
                // The driver is live by now: a missing chroot in the image must not fail the install.
                logger.LogWarning("Could not run {Command} ({Error}); the host's library cache may not list the driver's libraries", spec.CommandLine, e.Message);
            }
        });
    }

    private async Task StartPersistencedAsync(InstallRun run, ArtifactLayout layout, CancellationToken cancellationToken)
    {
        var persistenced = Path.Combine(run.Entry, layout.Programs, "nvidia-persistenced");
        if (run.Request.StartPersistenced && File.Exists(persistenced))
        {
            var spec = new ProcessSpec(persistenced, ["--verbose"]) { Environment = new Dictionary<string, string?> { ["LD_LIBRARY_PATH"] = Path.Combine(run.Entry, layout.Libraries) } };
            await run.DoAsync("start nvidia-persistenced", () => runner.RunAsync(spec, null, cancellationToken));
        }
    }
}
