using System.Diagnostics;
using CliWrap;
using CliWrap.Exceptions;
using Microsoft.Extensions.Logging;

namespace Modulus.Core.Processes;

/// <summary>
/// Runs programs with CliWrap, their output streamed line by line into the logger (stdout at Information, stderr
/// at Warning; unless <see cref="ProcessSpec.LogOutput"/> is false) and to the caller. What CliWrap does not do by
/// itself, and this adds: SIGTERM (not SIGINT) first on cancel, to the whole process group for
/// <see cref="ProcessSpec.OwnProcessGroup"/>, SIGKILL after the grace period; the last lines of stdout and stderr in
/// <see cref="CommandFailedException"/>; a group guard (<c>setsid</c>) that ends a build whose dev-builder was killed.
/// </summary>
public sealed partial class ProcessRunner(ILogger<ProcessRunner> logger) : IProcessRunner
{
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, Action<OutputLine>? onOutput, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stdoutTail = new Tail(spec.StdoutTailLines);
        var stderrTail = new Tail(spec.StderrTailLines);
        var stopwatch = Stopwatch.StartNew();

        logger.LogDebug("Running {CommandLine}", spec.CommandLine);
        if (spec.OwnProcessGroup && !IsRunnable(spec.Program))
        {
            // Behind setsid and sh a missing program would only be exit 127: say what starting it would have said.
            throw new Errors.ModulusException($"could not start '{spec.Program}': no such program. Is it installed and on PATH?");
        }

        // Forceful cancellation is ours to trigger: SIGTERM first, this token once the grace period is over.
        using var forceful = new CancellationTokenSource();
        using var abandonOutput = new CancellationTokenSource();
        CommandTask<CommandResult> running;
        try
        {
            running = CreateCommand(spec, stdoutTail, stderrTail, onOutput, abandonOutput.Token).ExecuteAsync(forceful.Token, CancellationToken.None);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            var reason = (e as System.ComponentModel.Win32Exception ?? e.InnerException as System.ComponentModel.Win32Exception)?.Message ?? e.Message;
            throw new Errors.ModulusException($"could not start '{spec.Program}': {reason}. Is it installed and on PATH?", Errors.ExitCodes.Failure, e);
        }

        var stopped = false;
        await using (cancellationToken.Register(() =>
        {
            stopped = true;
            Stop(running.ProcessId, spec, forceful);
        }))
        {
            int exitCode;
            try
            {
                exitCode = await WaitAsync(running, spec, abandonOutput);
            }
            catch (OperationCanceledException) when (stopped)
            {
                throw new OperationCanceledException($"'{spec.CommandLine}' was cancelled", cancellationToken);
            }
            finally
            {
                if (stopped && spec.OwnProcessGroup)
                {
                    _ = NativeSignals.Kill(-running.ProcessId, NativeSignals.SIGKILL); // stragglers the leader left behind
                }
            }

            if (stopped)
            {
                throw new OperationCanceledException($"'{spec.CommandLine}' was cancelled", cancellationToken);
            }

            logger.LogDebug("{Program} exited with {ExitCode} after {Seconds:F1} s", spec.Program, exitCode, stopwatch.Elapsed.TotalSeconds);
            if (spec.ValidateExitCode && exitCode != 0)
            {
                throw new CommandFailedException(spec.CommandLine, exitCode, stderrTail.Lines(), stdoutTail.Lines());
            }

            return new ProcessResult(exitCode, stopwatch.Elapsed, stderrTail.Lines());
        }
    }

    /// <summary>
    /// CliWrap's task ends when the process has exited and its output pipes are closed; a background child that
    /// inherited them would hold them open for as long as it lives. So the exit is watched here too, and when the
    /// pipes are still open <see cref="DrainAfterExit"/> after it, the line readers give up and the task ends.
    /// </summary>
    private async Task<int> WaitAsync(CommandTask<CommandResult> running, ProcessSpec spec, CancellationTokenSource abandonOutput)
    {
        using var done = new CancellationTokenSource();
        Process? process = null;
        try
        {
            process = Process.GetProcessById(running.ProcessId); // shares the runtime's wait state with CliWrap's child
        }
        catch (ArgumentException)
        {
            // exited and reaped already (a quick command): the drain time starts now
        }

        using (process)
        {
            var watch = AbandonOutputAfterExitAsync(process);
            try
            {
                return (await running).ExitCode;
            }
            finally
            {
                await done.CancelAsync();
                await watch;
            }
        }

        async Task AbandonOutputAfterExitAsync(Process? exiting)
        {
            try
            {
                if (exiting is not null)
                {
                    await exiting.WaitForExitAsync(done.Token);
                }

                await Task.Delay(DrainAfterExit, done.Token);
                logger.LogDebug("{Program} exited, but a background process it started still holds its output open; no longer reading it", spec.Program);
                await abandonOutput.CancelAsync();
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
            }
        }
    }

    private static readonly TimeSpan DrainAfterExit = TimeSpan.FromSeconds(5);

    private void Stop(int pid, ProcessSpec spec, CancellationTokenSource forceful)
    {
        // A group of its own is stopped as a whole: kill(-pgid) reaches make and every compiler it started.
        logger.LogInformation("Stopping {Program} (pid {Pid}{Group}): SIGTERM, SIGKILL after {Grace} s",
            spec.Program, pid, spec.OwnProcessGroup ? ", its whole process group" : string.Empty, spec.KillGracePeriod.TotalSeconds);
        _ = NativeSignals.Kill(spec.OwnProcessGroup ? -pid : pid, NativeSignals.SIGTERM);
        forceful.CancelAfter(spec.KillGracePeriod); // CliWrap then kills the process tree
    }

    private Command CreateCommand(ProcessSpec spec, Tail stdoutTail, Tail stderrTail, Action<OutputLine>? onOutput, CancellationToken abandonOutput)
    {
        var setsid = spec.OwnProcessGroup ? SetsidLocations.FirstOrDefault(File.Exists) : null;
        IEnumerable<string> arguments = setsid is null
            ? spec.Arguments
            : ["sh", "-c", GroupGuard, "modulus-group", spec.GuardPid.ToString(System.Globalization.CultureInfo.InvariantCulture), spec.Program, .. spec.Arguments];
        return Cli.Wrap(setsid ?? spec.Program)
            .WithArguments(arguments)
            .WithWorkingDirectory(spec.WorkingDirectory ?? Directory.GetCurrentDirectory())
            .WithEnvironmentVariables(variables =>
            {
                foreach (var secret in ProcessSpec.SecretVariables)
                {
                    variables.Set(secret, null); // no child Modulus starts needs the store's credentials
                }

                foreach (var (name, value) in spec.Environment)
                {
                    variables.Set(name, value); // null removes it
                }
            })
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(PipeSource.Null) // children never read our stdin
            .WithStandardOutputPipe(Lines(line =>
            {
                if (!MakeDirectoryLine().IsMatch(line))
                {
                    stdoutTail.Add(line); // make's "Leaving directory" lines would push a failed build's reason out of the tail
                }

                if (spec.LogOutput)
                {
                    logger.LogInformation("{Program:l}: {Line:l}", spec.Program, line);
                }

                onOutput?.Invoke(new OutputLine(OutputStream.Stdout, line));
            }, abandonOutput))
            .WithStandardErrorPipe(Lines(line =>
            {
                stderrTail.Add(line);
                if (spec.LogOutput)
                {
                    logger.LogWarning("{Program:l}: {Line:l}", spec.Program, line);
                }

                onOutput?.Invoke(new OutputLine(OutputStream.Stderr, line));
            }, abandonOutput));
    }

    /// <summary>Line by line, like <see cref="PipeTarget.ToDelegate(Action{string}, System.Text.Encoding?)"/>, but it can be abandoned.</summary>
    private static PipeTarget Lines(Action<string> onLine, CancellationToken abandon) =>
        PipeTarget.Create(async (origin, cancellationToken) =>
        {
            using var reader = new StreamReader(origin, leaveOpen: true);
            try
            {
                while (await reader.ReadLineAsync(cancellationToken).AsTask().WaitAsync(abandon) is { } line)
                {
                    onLine(line);
                }
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
            }
        });

    /// <summary>
    /// The group leader for <see cref="ProcessSpec.OwnProcessGroup"/>: <c>setsid sh -c GUARD</c> runs the command
    /// in a new session whose id is the leader's pid; a watcher in the group kills the group once the guard process
    /// is gone (a SIGKILLed dev-builder leaves no make running). Polls once a second; the command itself is waited for.
    /// The watcher's own output goes nowhere, so it never holds the pipes CliWrap reads to the end.
    /// </summary>
    private const string GroupGuard =
        "guard=$1; shift; " +
        "if [ \"$guard\" -gt 0 ]; then ( while kill -0 \"$guard\" 2>/dev/null; do sleep 1; done; kill -KILL 0 ) </dev/null >/dev/null 2>&1 & watcher=$!; fi; " +
        "\"$@\"; status=$?; [ -n \"${watcher:-}\" ] && kill \"$watcher\" 2>/dev/null; exit $status";

    [System.Text.RegularExpressions.GeneratedRegex(@"^make(\[\d+\])?: (Entering|Leaving) directory ")]
    private static partial System.Text.RegularExpressions.Regex MakeDirectoryLine();

    /// <summary>The last <c>capacity</c> lines of one output stream.</summary>
    private sealed class Tail(int capacity)
    {
        private readonly Queue<string> lines = new();

        public void Add(string line)
        {
            lock (lines)
            {
                lines.Enqueue(line);
                while (lines.Count > capacity)
                {
                    lines.Dequeue();
                }
            }
        }

        public List<string> Lines()
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
    }

    private static readonly string[] SetsidLocations = ["/usr/bin/setsid", "/bin/setsid"];

    private static bool IsRunnable(string program) =>
        program.Contains('/', StringComparison.Ordinal)
            ? File.Exists(program)
            : (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, program)));
}
