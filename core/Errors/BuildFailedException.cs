namespace Modulus.Core.Errors;

/// <summary>dev-builder ran the build and it failed; carries the build's exit code and error text.</summary>
public sealed class BuildFailedException(string message, int? buildExitCode)
    : ModulusException(message, ExitCodes.Failure)
{
    public int? BuildExitCode { get; } = buildExitCode;
}
