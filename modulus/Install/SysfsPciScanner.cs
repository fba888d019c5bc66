namespace Modulus.Install;

/// <summary>Reads <c>&lt;host-root&gt;/sys/bus/pci/devices/*/{vendor,class}</c>.</summary>
internal sealed class SysfsPciScanner(string hostRoot) : IPciScanner
{
    public int CountNvidiaGpus()
    {
        var devices = Path.Combine(hostRoot, "sys", "bus", "pci", "devices");
        if (!Directory.Exists(devices))
        {
            return 0;
        }

        return Directory.EnumerateFileSystemEntries(devices).Count(device =>
            Read(device, "vendor") == "0x10de" && Read(device, "class") is { } cls && (cls.StartsWith("0x0300", StringComparison.Ordinal) || cls.StartsWith("0x0302", StringComparison.Ordinal)));
    }

    private static string? Read(string device, string file)
    {
        var path = Path.Combine(device, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim().ToLowerInvariant() : null;
    }
}
