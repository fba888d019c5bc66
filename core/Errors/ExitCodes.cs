namespace Modulus.Core.Errors;

/// <summary>The process exit codes of every Modulus command (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;
    public const int NotInStore = 3;
    public const int DriverInUse = 4;
    public const int Cancelled = 130;
}
