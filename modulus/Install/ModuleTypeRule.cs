using Modulus.Compile;

namespace Modulus.Install;

/// <summary>
/// <c>--module-type auto</c> on a node: NVIDIA's open kernel modules support Turing and later GPUs only (NVIDIA's
/// driver README, chapter "Open Linux Kernel Modules", and the "Compatible GPUs" table of
/// github.com/NVIDIA/open-gpu-kernel-modules, whose lowest device id is 0x1E02, TU102). Every earlier GPU —
/// Maxwell, Pascal, Volta (GV100 is 0x1DB0–0x1DBF) — has a PCI device id below 0x1E00. So: any NVIDIA GPU on the
/// node below 0x1E00 → <c>proprietary</c>; otherwise the compile-time rule (proprietary below driver 560, open from
/// 560), so that installers ask for what the compiler instance builds with the same values.
/// </summary>
internal static class ModuleTypeRule
{
    public const int FirstTuringDeviceId = 0x1E00;

    public static (string ModuleType, string Reason) Choose(string requested, string driverKind, string driverVersion, IReadOnlyList<PciGpu> gpus)
    {
        if (requested != "auto" || driverKind != "nvidia-runfile")
        {
            return (CompileRequest.ResolveModuleType(requested, driverKind, driverVersion), requested == "auto" ? $"{driverKind} artifacts are open" : "as requested");
        }

        var old = gpus.Where(g => g.DeviceId < FirstTuringDeviceId).ToList();
        if (old.Count > 0)
        {
            return ("proprietary", $"GPU {string.Join(", ", old)} predates Turing (device id below 0x1e00), which NVIDIA's open modules do not support");
        }

        var byVersion = CompileRequest.ResolveModuleType("auto", driverKind, driverVersion);
        var which = gpus.Count == 0 ? "no NVIDIA GPU was found" : $"all {gpus.Count} GPU(s) are Turing or later";
        return (byVersion, $"{which}; driver {driverVersion} defaults to {byVersion} ({(byVersion == "open" ? "560 or later" : "below 560")})");
    }
}
