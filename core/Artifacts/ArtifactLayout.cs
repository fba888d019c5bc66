namespace Modulus.Core.Artifacts;

/// <summary>
/// Where an artifact keeps its programs, shared libraries and GSP firmware, relative to the artifact directory
/// (docs/manifest.md). Schema 2 is the layout NVIDIA's container toolkit and GPU Operator validator search:
/// libraries in <c>usr/lib/&lt;triplet&gt;/</c>, firmware in <c>lib/firmware/nvidia/&lt;version&gt;/</c>.
/// Schema 1 artifacts (written before) keep libraries in <c>lib/</c> and firmware in <c>firmware/</c>; they still install.
/// </summary>
/// <param name="Programs">nvidia-smi, nvidia-modprobe, …</param>
/// <param name="Libraries"><c>lib*.so.&lt;version&gt;</c> and their soname links: what ld.so.conf names.</param>
/// <param name="Firmware">The firmware search root: GSP firmware is in <c>&lt;Firmware&gt;/nvidia/&lt;version&gt;/</c>, so this is what the kernel's <c>firmware_class.path</c> names.</param>
public sealed record ArtifactLayout(string Programs, string Libraries, string Firmware)
{
    /// <summary>The layout of an artifact with <paramref name="schemaVersion"/> built for <paramref name="arch"/> (amd64, arm64).</summary>
    public static ArtifactLayout For(int schemaVersion, string arch) => schemaVersion >= 2
        ? new ArtifactLayout("bin", $"usr/lib/{Triplet(arch)}", "lib/firmware")
        : new ArtifactLayout("bin", "lib", "firmware");

    public static ArtifactLayout Of(Manifest manifest) => For(manifest.SchemaVersion, manifest.Arch);

    /// <summary>The layout artifacts are built in now.</summary>
    public static ArtifactLayout Current(string arch) => For(Manifest.CurrentSchemaVersion, arch);

    /// <summary>Debian's multiarch triplet, the directory name NVIDIA's tools search below <c>usr/lib/</c>.</summary>
    public static string Triplet(string arch) => arch switch
    {
        "amd64" => "x86_64-linux-gnu",
        "arm64" => "aarch64-linux-gnu",
        _ => throw new ArgumentException($"no multiarch triplet for arch '{arch}' (amd64 or arm64)", nameof(arch)),
    };
}
