namespace Modulus.Core.Pipes;

/// <summary>The ready file dev-builder writes once it serves (cmd-dir/ready.json).</summary>
public sealed record ReadyInfo
{
    public int V { get; init; } = Protocol.Version;

    public required string Version { get; init; }

    public required int Pid { get; init; }

    public required IReadOnlyList<KernelHeaders> Kernels { get; init; }

    public required string Compiler { get; init; }

    public string? Image { get; init; }

    public required double HeartbeatIntervalSeconds { get; init; }

    public required DateTimeOffset StartedAt { get; init; }
}

/// <summary>
/// A kernel release and its headers: <see cref="Path"/> is the build (output) dir kbuild's <c>-C</c>/<c>SYSOUT</c>
/// takes, <see cref="Source"/> the source dir (<c>SYSSRC</c>); the two differ where headers are split, as on Debian
/// and in Garden Linux's kmodbuild image (<c>linux-headers-&lt;k&gt;</c> and <c>linux-headers-&lt;k&gt;-common</c>).
/// </summary>
public sealed record KernelHeaders(string Release, string Path)
{
    /// <summary>The source dir; equal to <see cref="Path"/> for unsplit headers (and for ready files of older dev-builders).</summary>
    public string? Source { get; init; }

    public string SourceOrPath => Source ?? Path;

    /// <summary>
    /// The architecture the headers build for (<c>amd64</c>, <c>arm64</c>), from their <c>.config</c>; may differ from
    /// the dev container's (cross headers). Null in ready files of older dev-builders.
    /// </summary>
    public string? Arch { get; init; }
}
