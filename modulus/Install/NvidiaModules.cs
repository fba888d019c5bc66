namespace Modulus.Install;

/// <summary>The names of NVIDIA's kernel modules as the kernel knows them.</summary>
internal static class NvidiaModules
{
    public const string Nvidia = "nvidia";
    public const string Uvm = "nvidia_uvm";
    public const string Peermem = "nvidia_peermem";

    /// <summary>NVIDIA's modules in load order; unloading goes the other way.</summary>
    public static readonly IReadOnlyList<string> All = [Nvidia, "nvidia_modeset", "nvidia_drm", Uvm, Peermem];

    /// <summary>Modules an install may leave out (peermem where the node has no InfiniBand core).</summary>
    public static readonly IReadOnlyList<string> Optional = [Peermem];
}
