namespace Modulus.Core.Processes;

public sealed record ProcessResult(int ExitCode, TimeSpan Duration, IReadOnlyList<string> StderrTail)
{
    /// <summary>The last <see cref="ProcessSpec.StdoutTailLines"/> lines of its standard output.</summary>
    public IReadOnlyList<string> StdoutTail { get; init; } = [];
}
