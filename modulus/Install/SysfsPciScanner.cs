using System.Globalization;

using Modulus.Drivers;

namespace Modulus.Install;

/// <summary>Reads <c>&lt;host-root&gt;/sys/bus/pci/devices/*/{vendor,device,class}</c>.</summary>
internal sealed class SysfsPciScanner(string hostRoot) : IPciScanner
{
    public IReadOnlyList<PciGpu> NvidiaGpus()
    {
        var devices = Path.Combine(hostRoot, "sys", "bus", "pci", "devices");
        if (!Directory.Exists(devices))
        {
            return [];
        }

        return [.. Directory.EnumerateFileSystemEntries(devices)
            .Where(device => Read(device, "vendor") == "0x10de" && Read(device, "class") is { } cls &&
                (cls.StartsWith("0x0300", StringComparison.Ordinal) || cls.StartsWith("0x0302", StringComparison.Ordinal)))
            .Select(device => new PciGpu(Path.GetFileName(device), ParseHex(Read(device, "device"))))
            .OrderBy(g => g.Address, StringComparer.Ordinal)];
    }

    /// <summary>The PCI addresses of NVIDIA's NVSwitches (vendor 0x10de, class 0x0680xx: "bridge, other"), for the fabric manager.</summary>
    public IReadOnlyList<string> NvSwitches()
    {
        var devices = Path.Combine(hostRoot, "sys", "bus", "pci", "devices");
        return Directory.Exists(devices)
            ? [.. Directory.EnumerateFileSystemEntries(devices)
                .Where(d => Read(d, "vendor") == "0x10de" && Read(d, "class") is { } cls && cls.StartsWith("0x0680", StringComparison.Ordinal))
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
            : [];
    }

    private static int ParseHex(string? value) =>
        value is not null && int.TryParse(value.StartsWith("0x", StringComparison.Ordinal) ? value[2..] : value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) ? id : 0;

    private static string? Read(string device, string file)
    {
        var path = Path.Combine(device, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim().ToLowerInvariant() : null;
    }
}
