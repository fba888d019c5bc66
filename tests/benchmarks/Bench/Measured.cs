namespace Modulus.Bench;

/// <summary>One command's exit code, wall seconds and peak RSS (GNU time), and what it printed.</summary>
internal sealed record Measured(string Command, int ExitCode, double Seconds, long RssKiB, string Stdout, string Stderr)
{
    public double RssMiB => RssKiB / 1024.0;
}
