namespace Modulus.Core.Processes;

/// <summary>Runs child processes; the seam that lets tests replace real programs.</summary>
public interface IProcessRunner
{
    /// <summary>
    /// Runs <paramref name="spec"/> to completion, streaming every output line to the logger and to
    /// <paramref name="onOutput"/>. On cancellation the child gets SIGTERM, then SIGKILL after the grace period,
    /// and <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    Task<ProcessResult> RunAsync(ProcessSpec spec, Action<OutputLine>? onOutput, CancellationToken cancellationToken);
}
