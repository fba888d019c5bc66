using Modulus.Core.Errors;

namespace Modulus.Core.Processes;

/// <summary>A child process exited with a code its caller did not accept.</summary>
public sealed class CommandFailedException : ModulusException
{
    public CommandFailedException(string commandLine, int processExitCode, IReadOnlyList<string> stderrTail)
        : base(Describe(commandLine, processExitCode, stderrTail))
    {
        CommandLine = commandLine;
        ProcessExitCode = processExitCode;
        StderrTail = stderrTail;
    }

    public string CommandLine { get; }

    public int ProcessExitCode { get; }

    public IReadOnlyList<string> StderrTail { get; }

    private static string Describe(string commandLine, int exitCode, IReadOnlyList<string> tail)
    {
        var text = $"command failed with exit code {exitCode}: {commandLine}";
        return tail.Count == 0
            ? text
            : text + Environment.NewLine + "last lines of its error output:" + Environment.NewLine
              + string.Join(Environment.NewLine, tail.Select(l => "  " + l));
    }
}
