using Modulus.Core.Artifacts;

namespace Modulus.Compile;

/// <summary>A committed cache entry: its directory and manifest.</summary>
internal sealed record CompileResult(string Directory, Manifest Manifest);
