namespace Modulus.Install;

/// <summary>
/// How a module file went into the kernel: <see cref="Compression"/> is null for a plain <c>.ko</c>; a compressed one
/// was decompressed by the kernel itself (<see cref="ByKernel"/>) or by modulus into an image of <see cref="ImageBytes"/>.
/// </summary>
internal sealed record ModuleLoading(string? Compression, bool ByKernel, long ImageBytes);
