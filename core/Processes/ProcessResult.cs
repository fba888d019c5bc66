namespace Modulus.Core.Processes;

public sealed record ProcessResult(int ExitCode, TimeSpan Duration, IReadOnlyList<string> StderrTail);
