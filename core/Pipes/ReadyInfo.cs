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

/// <summary>A kernel release and the directory holding its headers.</summary>
public sealed record KernelHeaders(string Release, string Path);
