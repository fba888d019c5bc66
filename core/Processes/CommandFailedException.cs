using Modulus.Core.Errors;

namespace Modulus.Core.Processes;

/// <summary>A child process exited with a code its caller did not accept.</summary>
public sealed class CommandFailedException : ModulusException
{
    public CommandFailedException(string commandLine, int processExitCode, IReadOnlyList<string> stderrTail, IReadOnlyList<string>? stdoutTail = null)
        : base(Describe(commandLine, processExitCode, stderrTail, stdoutTail ?? []))
    {
        CommandLine = commandLine;
        ProcessExitCode = processExitCode;
        StderrTail = stderrTail;
        StdoutTail = stdoutTail ?? [];
    }

    public string CommandLine { get; }

    public int ProcessExitCode { get; }

    public IReadOnlyList<string> StderrTail { get; }

    public IReadOnlyList<string> StdoutTail { get; }

    private static string Describe(string commandLine, int exitCode, IReadOnlyList<string> stderrTail, IReadOnlyList<string> stdoutTail)
    {
        var text = new System.Text.StringBuilder($"command failed with exit code {exitCode}: {commandLine}");
        Append("last lines of its output:", stdoutTail);
        Append("last lines of its error output:", stderrTail);
        return text.ToString();

        void Append(string heading, IReadOnlyList<string> lines)
        {
            if (lines.Count > 0)
            {
                text.AppendLine().Append(heading).AppendLine().AppendJoin(Environment.NewLine, lines.Select(l => "  " + l));
            }
        }
    }
}
