using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// A program under test started as a real child process, its output collected line by line; tests can wait for a
/// line to appear (no sleeps) and kill it. Independent of the product's ProcessRunner, which it helps to test.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly ConcurrentQueue<(string Text, TaskCompletionSource Seen)> waiters = new();
    private readonly Lock gate = new();

    private ChildProcess(Process process) => this.process = process;

    public int Id => process.Id;

    public string Stdout
    {
        get
        {
            lock (gate)
            {
                return stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (gate)
            {
                return stderr.ToString();
            }
        }
    }

    public string Output => Stdout + Stderr;

    public static ChildProcess Start(string program, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["MODULUS_LOG_FORMAT"] = "text";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        var child = new ChildProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        child.process.OutputDataReceived += (_, e) => child.Append(child.stdout, e.Data);
        child.process.ErrorDataReceived += (_, e) => child.Append(child.stderr, e.Data);
        child.process.Start();
        child.process.StandardInput.Close();
        child.process.BeginOutputReadLine();
        child.process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs to completion and returns the exit code.</summary>
    public static async Task<(int ExitCode, ChildProcess Process)> RunAsync(string program, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var child = Start(program, arguments, environment);
        var code = await child.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return (code, child);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} did not exit within {timeout}; output so far:\n{Output}");
        }

        process.WaitForExit(); // flushes the asynchronous output readers
        return process.ExitCode;
    }

    /// <summary>Completes when a line containing <paramref name="text"/> was written to stdout or stderr.</summary>
    public Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiters.Enqueue((text, seen));
        if (Output.Contains(text, StringComparison.Ordinal))
        {
            seen.TrySetResult();
        }

        return seen.Task.WaitAsync(timeout);
    }

    public bool HasExited => process.HasExited;

    public void KillTree() => process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            target.AppendLine(line);
        }

        foreach (var (text, seen) in waiters)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }
    }
}
