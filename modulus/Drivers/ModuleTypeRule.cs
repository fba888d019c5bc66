using Modulus.Core.Artifacts;

namespace Modulus.Drivers;

/// <summary>
/// What <c>--module-type auto</c> means, in one place (docs/install.md "Module type"):
/// <list type="number">
/// <item>kbuild module sets are open;</item>
/// <item>below driver 560 proprietary (NVIDIA's own default is open from 560);</item>
/// <item>Garden Linux before 1592.15, and 1877 before 1877.6: proprietary. Those kernels required signed firmware,
/// so the open modules' GSP firmware is refused (gardenlinux-nvidia-installer's README: "with Garden Linux versions
/// 1592.14 and earlier, only proprietary kernel modules will work"; 1877.6 is the first 1877 release with the fix);</item>
/// <item>on a node, any NVIDIA GPU below PCI device id 0x1E00 (Maxwell, Pascal, Volta) → proprietary: NVIDIA's open
/// modules support Turing and later only (NVIDIA's driver README, "Open Linux Kernel Modules", and the "Compatible
/// GPUs" table of github.com/NVIDIA/open-gpu-kernel-modules, whose lowest device id is 0x1E02, TU102).</item>
/// </list>
/// Installers and the compiler instance apply the same rule to the same values, so a node asks for what was built.
/// </summary>
internal static class ModuleTypeRule
{
    public const int FirstTuringDeviceId = 0x1E00;

    /// <summary>The first driver major version whose default is the open modules.</summary>
    public const int FirstOpenByDefault = 560;

    /// <summary>The first release of each Garden Linux line whose kernel loads the open modules' firmware; lines after the last one listed all do.</summary>
    private static readonly (int Major, int Minor)[] FirstAcceptingGspFirmware = [(1592, 15), (1877, 6)];

    /// <summary><paramref name="requested"/> (null: auto) without a node to look at.</summary>
    public static ModuleType Resolve(ModuleType? requested, DriverKind kind, string driverVersion, string? gardenlinuxVersion = null) =>
        requested ?? Auto(kind, driverVersion, gardenlinuxVersion).ModuleType;

    /// <summary>Whether Garden Linux <paramref name="gardenlinuxVersion"/>'s kernel accepts the open modules' GSP firmware, and why not.</summary>
    public static string? WhyNoOpenModules(string gardenlinuxVersion)
    {
        var parts = gardenlinuxVersion.Split('.');
        if (!int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major))
        {
            // Not a release number (a development build such as "today"): newer than every line listed.
            return null;
        }

        var minor = parts.Length > 1 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) ? m : 0;
        var (lastMajor, _) = FirstAcceptingGspFirmware[^1];
        if (major > lastMajor)
        {
            return null;
        }

        var line = FirstAcceptingGspFirmware.FirstOrDefault(l => l.Major == major);
        if (line.Major == 0)
        {
            // Releases before 1592, or between the lines listed: none has the fix.
            var first = FirstAcceptingGspFirmware.First(l => l.Major > major);
            return $"Garden Linux {gardenlinuxVersion}'s kernel requires signed firmware, which the open modules' GSP firmware is not (open modules need {first.Major}.{first.Minor} or later)";
        }

        return minor >= line.Minor
            ? null
            : $"Garden Linux {gardenlinuxVersion}'s kernel requires signed firmware, which the open modules' GSP firmware is not (fixed in {line.Major}.{line.Minor})";
    }

    /// <summary><paramref name="requested"/> (null: auto) on a node of <paramref name="gardenlinuxVersion"/> with <paramref name="gpus"/>, and why.</summary>
    public static (ModuleType ModuleType, string Reason) Choose(ModuleType? requested, DriverKind kind, string driverVersion, string gardenlinuxVersion, IReadOnlyList<PciGpu> gpus)
    {
        if (requested is { } given)
        {
            return (given, "as requested");
        }

        var old = gpus.Where(g => g.DeviceId < FirstTuringDeviceId).ToList();
        if (kind == DriverKind.NvidiaRunfile && old.Count > 0)
        {
            return (ModuleType.Proprietary, $"GPU {string.Join(", ", old)} predates Turing (device id below 0x1e00), which NVIDIA's open modules do not support");
        }

        var (type, reason) = Auto(kind, driverVersion, gardenlinuxVersion);
        var which = gpus.Count == 0 ? "no NVIDIA GPU was found" : $"all {gpus.Count} GPU(s) are Turing or later";
        return (type, kind == DriverKind.NvidiaRunfile ? $"{which}; {reason}" : reason);
    }

    private static (ModuleType ModuleType, string Reason) Auto(DriverKind kind, string driverVersion, string? gardenlinuxVersion)
    {
        if (kind != DriverKind.NvidiaRunfile)
        {
            return (ModuleType.Open, $"{kind.Name()} artifacts are open");
        }

        if (Major(driverVersion) < FirstOpenByDefault)
        {
            return (ModuleType.Proprietary, $"driver {driverVersion} defaults to proprietary (below {FirstOpenByDefault})");
        }

        return gardenlinuxVersion is not null && WhyNoOpenModules(gardenlinuxVersion) is { } why
            ? (ModuleType.Proprietary, why)
            : (ModuleType.Open, $"driver {driverVersion} defaults to open ({FirstOpenByDefault} or later)" + (gardenlinuxVersion is null ? "" : $" and Garden Linux {gardenlinuxVersion}'s kernel accepts the GSP firmware"));
    }

    private static int Major(string driverVersion) => int.Parse(driverVersion.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
}
