namespace Modulus.Core.Processes;

public enum OutputStream
{
    Stdout,
    Stderr,
}

/// <summary>One line a child process wrote, without its line terminator.</summary>
public readonly record struct OutputLine(OutputStream Stream, string Text);
