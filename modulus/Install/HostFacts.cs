namespace Modulus.Install;

/// <summary>What install and status read about the host when the user does not say.</summary>
internal static class HostFacts
{
    /// <summary>The running kernel (this container shares it with the host).</summary>
    public static string RunningKernel() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>
    /// The Garden Linux version of <c>&lt;host-root&gt;/etc/os-release</c>: <c>GARDENLINUX_VERSION</c>, else
    /// <c>VERSION_ID</c> when <c>ID=gardenlinux</c>; null on another OS (Ubuntu's VERSION_ID is no Garden Linux version).
    /// </summary>
    public static string? GardenlinuxVersion(string hostRoot)
    {
        var values = OsRelease(hostRoot);
        return values.GetValueOrDefault("GARDENLINUX_VERSION")
            ?? (values.GetValueOrDefault("ID") == "gardenlinux" ? values.GetValueOrDefault("VERSION_ID") : null);
    }

    /// <summary>"&lt;root&gt;/etc/os-release is Ubuntu 24.04 LTS, not Garden Linux", for messages.</summary>
    public static string DescribeOs(string hostRoot)
    {
        var path = Path.Combine(hostRoot, "etc", "os-release");
        var values = OsRelease(hostRoot);
        return values.Count == 0
            ? $"{path} does not exist or names no OS"
            : $"{path} is {values.GetValueOrDefault("PRETTY_NAME") ?? values.GetValueOrDefault("ID") ?? "unknown"}, not Garden Linux";
    }

    private static Dictionary<string, string> OsRelease(string hostRoot)
    {
        var path = Path.Combine(hostRoot, "etc", "os-release");
        return !File.Exists(path)
            ? []
            : File.ReadLines(path).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.Last()[1].Trim().Trim('"', '\''));
    }
}
