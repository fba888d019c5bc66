namespace Modulus.Core.Errors;

/// <summary>
/// An error written for the operator: what failed, with which input, and what to do.
/// Commands turn it into its <see cref="ExitCode"/> and print its message.
/// </summary>
public class ModulusException : Exception
{
    public ModulusException(string message, int exitCode = ExitCodes.Failure, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;

    public int ExitCode { get; }
}
