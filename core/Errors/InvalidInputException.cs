namespace Modulus.Core.Errors;

/// <summary>An input that does not have the expected form; exit code 2, raised before any work.</summary>
public sealed class InvalidInputException(string message) : ModulusException(message, ExitCodes.InvalidInput);
