namespace Modulus.DevBuilder.Serve;

/// <summary>Settings of <c>dev-builder serve</c>.</summary>
internal sealed record ServeOptions
{
    public required string CmdDir { get; init; }

    public required string OutDir { get; init; }

    public required string WorkDir { get; init; }

    /// <summary>The work dir is the default one this dev-builder made: it is removed when it stops.</summary>
    public bool OwnsWorkDir { get; init; }

    /// <summary>Stop when this process is no longer the parent (a local dev-builder whose modulus was killed); 0: never.</summary>
    public int ParentPid { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The image this dev container runs (MODULUS_BUILDER_IMAGE, set by the chart), for the ready file and manifests.</summary>
    public string? BuilderImage { get; init; }

    /// <summary>Root below which kernel headers are looked up; "/" but in tests.</summary>
    public string Sysroot { get; init; } = "/";
}
