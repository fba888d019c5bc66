using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Modulus.Core.Processes;

/// <summary>
/// Runs programs as child processes with their output streamed line by line into the logger
/// (stdout at Information, stderr at Warning) and to the caller.
/// </summary>
public sealed class ProcessRunner(ILogger<ProcessRunner> logger) : IProcessRunner
{
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, Action<OutputLine>? onOutput, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var process = new Process { StartInfo = CreateStartInfo(spec) };
        var tail = new Queue<string>();
        var stopwatch = Stopwatch.StartNew();

        logger.LogDebug("Running {CommandLine}", spec.CommandLine);
        if (spec.OwnProcessGroup && !IsRunnable(spec.Program))
        {
            // Behind setsid and sh a missing program would only be exit 127: say what Process.Start would have said.
            throw new Errors.ModulusException($"could not start '{spec.Program}': no such program. Is it installed and on PATH?");
        }

        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Errors.ModulusException(
                $"could not start '{spec.Program}': {e.Message}. Is it installed and on PATH?", Errors.ExitCodes.Failure, e);
        }

        process.StandardInput.Close(); // children never read our stdin
        var stdout = PumpAsync(process.StandardOutput, OutputStream.Stdout);
        var stderr = PumpAsync(process.StandardError, OutputStream.Stderr);

        var stopped = false;
        await using (cancellationToken.Register(() => stopped = true))
        {
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await StopAsync(process, spec);
            }
        }

        // Drain what the pipes still hold; an orphaned grandchild that keeps them open must not hang us.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(stopped ? 1 : 5), CancellationToken.None));

        if (stopped)
        {
            throw new OperationCanceledException($"'{spec.CommandLine}' was cancelled", cancellationToken);
        }

        var exitCode = process.ExitCode;
        List<string> stderrTail;
        lock (tail)
        {
            stderrTail = [.. tail];
        }

        logger.LogDebug("{Program} exited with {ExitCode} after {Seconds:F1} s", spec.Program, exitCode, stopwatch.Elapsed.TotalSeconds);
        if (spec.ValidateExitCode && exitCode != 0)
        {
            throw new CommandFailedException(spec.CommandLine, exitCode, stderrTail);
        }

        return new ProcessResult(exitCode, stopwatch.Elapsed, stderrTail);

        async Task PumpAsync(StreamReader reader, OutputStream stream)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (stream == OutputStream.Stderr)
                {
                    lock (tail)
                    {
                        tail.Enqueue(line);
                        while (tail.Count > spec.StderrTailLines)
                        {
                            tail.Dequeue();
                        }
                    }

                    logger.LogWarning("{Program:l}: {Line:l}", spec.Program, line);
                }
                else
                {
                    logger.LogInformation("{Program:l}: {Line:l}", spec.Program, line);
                }

                onOutput?.Invoke(new OutputLine(stream, line));
            }
        }
    }

    private async Task StopAsync(Process process, ProcessSpec spec)
    {
        if (process.HasExited)
        {
            return;
        }

        // A group of its own is stopped as a whole: kill(-pgid) reaches make and every compiler it started.
        var target = spec.OwnProcessGroup ? -process.Id : process.Id;
        logger.LogInformation("Stopping {Program} (pid {Pid}{Group}): SIGTERM, SIGKILL after {Grace} s",
            spec.Program, process.Id, spec.OwnProcessGroup ? ", its whole process group" : string.Empty, spec.KillGracePeriod.TotalSeconds);
        _ = NativeSignals.Kill(target, NativeSignals.SIGTERM);
        using var grace = new CancellationTokenSource(spec.KillGracePeriod);
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        if (spec.OwnProcessGroup)
        {
            _ = NativeSignals.Kill(target, NativeSignals.SIGKILL); // stragglers the leader left behind
        }
    }

    /// <summary>
    /// The group leader for <see cref="ProcessSpec.OwnProcessGroup"/>: <c>setsid sh -c GUARD</c> runs the command
    /// in a new session whose id is the leader's pid; a watcher in the group kills the group once the guard process
    /// is gone (a SIGKILLed dev-builder leaves no make running). Polls once a second; the command itself is waited for.
    /// </summary>
    private const string GroupGuard =
        "guard=$1; shift; " +
        "if [ \"$guard\" -gt 0 ]; then ( while kill -0 \"$guard\" 2>/dev/null; do sleep 1; done; kill -KILL 0 ) & watcher=$!; fi; " +
        "\"$@\"; status=$?; [ -n \"${watcher:-}\" ] && kill \"$watcher\" 2>/dev/null; exit $status";

    private static readonly string[] SetsidLocations = ["/usr/bin/setsid", "/bin/setsid"];

    private static bool IsRunnable(string program) =>
        program.Contains('/', StringComparison.Ordinal)
            ? File.Exists(program)
            : (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, program)));

    private static ProcessStartInfo CreateStartInfo(ProcessSpec spec)
    {
        var setsid = spec.OwnProcessGroup ? SetsidLocations.FirstOrDefault(File.Exists) : null;
        var info = new ProcessStartInfo(setsid ?? spec.Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
        };
        if (setsid is not null)
        {
            foreach (var argument in new[] { "sh", "-c", GroupGuard, "modulus-group", spec.GuardPid.ToString(System.Globalization.CultureInfo.InvariantCulture), spec.Program })
            {
                info.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in spec.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        return info;
    }
}
