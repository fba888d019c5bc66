namespace Modulus.Compile;

/// <summary>How long modulus waits for dev-builder.</summary>
internal sealed record DevBuilderClientOptions
{
    /// <summary>For the ready file to appear (the dev container may still be pulling its image).</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest silence (no heartbeat, no log) before dev-builder counts as dead.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
