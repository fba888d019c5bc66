namespace Modulus.Install;

/// <summary>
/// What uses the driver's files on this node besides the pods that request GPUs: the GPU Operator's operands (its
/// container toolkit, device plugin, validator). They are sent away while the node has no live driver — before a
/// swap, and when the driver goes — and let back once it is live, so that they restart onto the new files.
/// </summary>
internal interface IDriverConsumers
{
    /// <summary>Sends them off the node; says why in the log. Never throws.</summary>
    Task StopAsync(string why, CancellationToken cancellationToken);

    /// <summary>Lets them back as they were before <see cref="StopAsync"/>. Never throws.</summary>
    Task ResumeAsync(CancellationToken cancellationToken);
}
