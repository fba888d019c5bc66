namespace Modulus.Core.Pipes;

/// <summary>A message from dev-builder to modulus (response.fifo). Which fields are set depends on <see cref="Type"/>.</summary>
public sealed record Response
{
    public int V { get; init; } = Protocol.Version;

    /// <summary>The request this answers; null on heartbeats while idle and on errors about unparseable lines.</summary>
    public string? Id { get; init; }

    public required string Type { get; init; }

    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>log: <c>stdout</c>, <c>stderr</c> or <c>builder</c>.</summary>
    public string? Stream { get; init; }

    /// <summary>log: the line.</summary>
    public string? Line { get; init; }

    /// <summary>heartbeat and pong: <c>idle</c> or <c>building</c>.</summary>
    public string? State { get; init; }

    /// <summary>result: succeeded, failed or rejected.</summary>
    public string? Status { get; init; }

    /// <summary>result: the exit code of the failing build command, when one failed.</summary>
    public int? ExitCode { get; init; }

    /// <summary>result (failed/rejected) and error: what went wrong.</summary>
    public string? Error { get; init; }

    /// <summary>result (succeeded): the job directory, relative to dev-builder's out dir.</summary>
    public string? OutputDir { get; init; }

    /// <summary>result (succeeded): the kernel release the modules were built for.</summary>
    public string? KernelRelease { get; init; }

    /// <summary>result (succeeded): what the build was made from and how (recorded in the manifest).</summary>
    public BuildProvenance? Provenance { get; init; }

    /// <summary>result (succeeded): things the operator should know about the artifact, e.g. a .run without userspace.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    /// <summary>result: seconds the build took.</summary>
    public double? DurationSeconds { get; init; }
}
