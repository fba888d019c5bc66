using Modulus.Install;

namespace Modulus.Watch;

/// <summary>What the watch loop last saw, shared with the metrics endpoint: the node's status, when, and API failures.</summary>
internal sealed class WatchState
{
    private readonly object gate = new();
    private NodeStatus? status;
    private DateTimeOffset lastTick;
    private long apiFailures;

    public void Observed(NodeStatus current)
    {
        lock (gate)
        {
            status = current;
            lastTick = DateTimeOffset.UtcNow;
        }
    }

    public void ApiFailed() => Interlocked.Increment(ref apiFailures);

    public (NodeStatus? Status, DateTimeOffset LastTick, long ApiFailures) Snapshot()
    {
        lock (gate)
        {
            return (status, lastTick, Interlocked.Read(ref apiFailures));
        }
    }
}
