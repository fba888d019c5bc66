namespace Modulus.Core.Errors;

/// <summary>The dev-builder could not be reached, stopped answering, or went away mid-build.</summary>
public sealed class DevBuilderException(string message, Exception? inner = null)
    : ModulusException(message, ExitCodes.Failure, inner);
