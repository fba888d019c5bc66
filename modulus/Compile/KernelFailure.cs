using Modulus.Core.Errors;

namespace Modulus.Compile;

/// <summary>A kernel of a compile whose build failed, and why.</summary>
internal sealed record KernelFailure(string Kernel, BuildFailedException Error);
