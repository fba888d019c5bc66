using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Core.Processes;

namespace Modulus.Compile;

/// <summary>
/// <c>--local-builder</c>: dev-builder as a child process over a private cmd dir, for machines that have
/// kernel headers and a compiler themselves (development, CI). Disposing stops it (SIGTERM, then SIGKILL) and
/// removes the cmd dir.
/// </summary>
internal sealed class LocalDevBuilder : IAsyncDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly ILogger logger;

    private LocalDevBuilder(CmdDir cmd, CancellationTokenSource stop, Task<ProcessResult> run, ILogger logger)
    {
        Cmd = cmd;
        this.stop = stop;
        Exited = run;
        this.logger = logger;
    }

    public CmdDir Cmd { get; }

    /// <summary>Completes when the child exits.</summary>
    public Task<ProcessResult> Exited { get; }

    /// <summary>The dev-builder executable shipped beside modulus (<c>--dev-builder</c>, MODULUS_DEV_BUILDER, says otherwise).</summary>
    public static string DefaultExecutable => Path.Combine(AppContext.BaseDirectory, "dev-builder");

    public static LocalDevBuilder Start(IProcessRunner runner, string executable, string outDir, ILogger logger)
    {
        if (!File.Exists(executable))
        {
            throw new ModulusException($"--local-builder needs the dev-builder executable, but {executable} does not exist. Build the solution (make build) or pass --dev-builder (MODULUS_DEV_BUILDER).");
        }

        var cmd = new CmdDir(Directory.CreateTempSubdirectory("modulus-cmd-").FullName);
        // --parent-pid: it stops by itself when this modulus is killed (SIGKILL leaves no chance to stop it).
        var spec = new ProcessSpec(executable, ["serve", "--cmd-dir", cmd.Path, "--out-dir", outDir, "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            ValidateExitCode = false,
            KillGracePeriod = TimeSpan.FromSeconds(15),

            // Its build output reaches us through the protocol; its own log only needs to say what went wrong.
            Environment = new Dictionary<string, string?> { ["MODULUS_LOG_LEVEL"] = "error", ["MODULUS_LOG_FORMAT"] = "text" },
        };
        var stop = new CancellationTokenSource();
        var builder = new LocalDevBuilder(cmd, stop, runner.RunAsync(spec, null, stop.Token), logger);
        logger.LogInformation("Started a local dev-builder ({Executable}) over {CmdDir}", executable, cmd.Path);
        return builder;
    }

    public async ValueTask DisposeAsync()
    {
        // Cancelling sends SIGTERM (dev-builder stops its build and exits), SIGKILL after the grace period.
        await stop.CancelAsync();
        try
        {
            await Exited;
        }
        catch (OperationCanceledException)
        {
        }
        catch (ModulusException e)
        {
            logger.LogWarning("The local dev-builder did not run: {Error}", e.Message);
        }

        try
        {
            Directory.Delete(Cmd.Path, recursive: true);
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not remove {CmdDir}: {Error}", Cmd.Path, e.Message);
        }

        stop.Dispose();
    }
}
