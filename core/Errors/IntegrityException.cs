namespace Modulus.Core.Errors;

/// <summary>Bytes that do not match their manifest: a checksum, a size, or a tar entry that must not be there.</summary>
public sealed class IntegrityException(string message, string? path = null) : ModulusException(message, ExitCodes.Failure)
{
    public string? Path { get; } = path;
}
