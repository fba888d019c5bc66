namespace Modulus.Install;

/// <summary>The kernel's log: what it said while Modulus loaded modules (the reason behind an errno).</summary>
internal interface IKernelLog
{
    /// <summary>Starts reading at the log's current end; dispose it when done.</summary>
    IKernelLogReader Follow();
}

internal interface IKernelLogReader : IDisposable
{
    /// <summary>The messages logged since <see cref="IKernelLog.Follow"/> or the last call; empty when the log cannot be read.</summary>
    IReadOnlyList<string> ReadNew();
}
