namespace Modulus.Core.Pipes;

/// <summary>The other side of a FIFO went away: EOF on read, EPIPE on write.</summary>
public sealed class PipeClosedException(string message) : IOException(message);
