namespace Modulus.DevBuilder.Recipes;

/// <summary>A finished build: the job directory below the out dir and the kernel it was built for.</summary>
internal sealed record BuildOutcome(string Job, string KernelRelease, TimeSpan Duration);
