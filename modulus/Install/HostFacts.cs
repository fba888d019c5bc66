namespace Modulus.Install;

/// <summary>What install and status read about the node itself: its kernel and its Garden Linux version.</summary>
internal static class HostFacts
{
    /// <summary>
    /// The node's running kernel: <c>&lt;host-root&gt;/proc/sys/kernel/osrelease</c> (the host's procfs, where the
    /// host root is the node's <c>/</c> mounted with its submounts), else this process's <c>/proc</c> (a container shares
    /// the node's kernel, so both say the same; uname(2) says it too).
    /// </summary>
    public static string RunningKernel(string hostRoot)
    {
        var hosts = Path.Combine(hostRoot, "proc", "sys", "kernel", "osrelease");
        return File.ReadAllText(File.Exists(hosts) ? hosts : "/proc/sys/kernel/osrelease").Trim();
    }

    /// <summary>
    /// The Garden Linux version of <c>&lt;host-root&gt;/etc/os-release</c>: <c>GARDENLINUX_VERSION</c> (Garden Linux
    /// writes no <c>VERSION_ID</c>), else <c>VERSION_ID</c> when <c>ID=gardenlinux</c>; null on another OS (Ubuntu's
    /// VERSION_ID is no Garden Linux version).
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
