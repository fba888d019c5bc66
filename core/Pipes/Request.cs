namespace Modulus.Core.Pipes;

/// <summary>A message from modulus to dev-builder (request.fifo).</summary>
public sealed record Request
{
    public int V { get; init; } = Protocol.Version;

    public required string Id { get; init; }

    public required string Type { get; init; }

    public BuildSpec? Build { get; init; }
}
