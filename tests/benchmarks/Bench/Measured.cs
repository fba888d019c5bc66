namespace Modulus.Bench;

/// <summary>One command's exit code, wall seconds, peak RSS and CPU seconds (GNU time), and what it printed.</summary>
internal sealed record Measured(string Command, int ExitCode, double Seconds, long RssKiB, string Stdout, string Stderr)
{
    public double RssMiB => RssKiB / 1024.0;

    /// <summary>User and system CPU seconds of the command and its children.</summary>
    public double CpuSeconds { get; init; }
}
