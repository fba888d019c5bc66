namespace Modulus.DevBuilder.Serve;

/// <summary>Settings of <c>dev-builder serve</c>.</summary>
internal sealed record ServeOptions
{
    public required string CmdDir { get; init; }

    public required string OutDir { get; init; }

    public required string WorkDir { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Root below which kernel headers are looked up; "/" but in tests.</summary>
    public string Sysroot { get; init; } = "/";
}
