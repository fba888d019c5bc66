namespace Modulus.Core.Pipes;

public enum LineReadStatus
{
    Line,
    Oversized,
    Timeout,
    EndOfStream,
}

/// <summary>What one attempt to read a line gave: the line, a dropped oversized line, a timeout or EOF.</summary>
public readonly record struct LineReadResult(LineReadStatus Status, string? Text = null, long DroppedBytes = 0);
