namespace Modulus.Core.Errors;

/// <summary>A store operation failed; the message names the store, the key and what to do. Never carries secrets.</summary>
public sealed class StoreException(string message, string location, string? key, Exception? inner = null)
    : ModulusException(message, ExitCodes.Failure, inner)
{
    public string Location { get; } = location;

    public string? Key { get; } = key;
}
