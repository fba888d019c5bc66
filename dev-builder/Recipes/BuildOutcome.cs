using Modulus.Core.Pipes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>A finished build: the job directory below the out dir, the kernel it was built for, how, and what to know about it.</summary>
internal sealed record BuildOutcome(string Job, string KernelRelease, TimeSpan Duration, BuildProvenance Provenance, IReadOnlyList<string> Warnings);
