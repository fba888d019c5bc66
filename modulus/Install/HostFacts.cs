namespace Modulus.Install;

/// <summary>What install and status read about the host when the user does not say.</summary>
internal static class HostFacts
{
    /// <summary>The running kernel (this container shares it with the host).</summary>
    public static string RunningKernel() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>GARDENLINUX_VERSION, else VERSION_ID, from <c>&lt;host-root&gt;/etc/os-release</c>; null when neither is there.</summary>
    public static string? GardenlinuxVersion(string hostRoot)
    {
        var path = Path.Combine(hostRoot, "etc", "os-release");
        if (!File.Exists(path))
        {
            return null;
        }

        var values = File.ReadLines(path).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.Last()[1].Trim().Trim('"', '\''));
        return values.GetValueOrDefault("GARDENLINUX_VERSION") ?? values.GetValueOrDefault("VERSION_ID");
    }
}
