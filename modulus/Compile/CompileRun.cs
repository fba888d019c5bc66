using Modulus.Core.Errors;

namespace Modulus.Compile;

/// <summary>One <c>modulus compile</c>: the kernels it selected, what it built or skipped for each, and which failed.</summary>
internal sealed record CompileRun(IReadOnlyList<string> Kernels, IReadOnlyList<CompileResult> Results, IReadOnlyList<KernelFailure> Failures)
{
    /// <summary>Fails the run when any kernel failed, naming each and what was built all the same.</summary>
    public void ThrowIfFailed()
    {
        if (Failures.Count == 0)
        {
            return;
        }

        var built = Results.Select(r => r.Manifest.KernelRelease).ToList();
        throw new BuildFailedException(
            $"{Failures.Count} of {Kernels.Count} kernels failed to build: " +
            string.Join("; ", Failures.Select(f => $"kernel {f.Kernel}: {f.Error.Message}")) +
            (built.Count == 0 ? string.Empty : $". Built and kept: {string.Join(", ", built)}"),
            Failures[0].Error.BuildExitCode);
    }
}
