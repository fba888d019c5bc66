namespace Modulus.Install;

/// <summary>
/// The host as this container sees it: its root (<c>/</c> on the host itself), the host cache, and the host path
/// that gets the <c>nvidia</c> link to the live cache entry (chart: <c>nvidiaInstaller.hostDriverPath</c>).
/// </summary>
internal sealed record HostSettings(string HostRoot, string CacheDir, string HostDriverPath)
{
    public const string DefaultHostDriverPath = "/opt/drivers";

    /// <summary>A host path (absolute, as the host sees it) as seen from here.</summary>
    public string HostPath(string path) => Path.Combine(HostRoot, path.TrimStart('/'));

    /// <summary>
    /// A path as seen from here as the host sees it: below the host root, the part after it; elsewhere the path
    /// itself (the chart mounts the cache at the same path as on the host).
    /// </summary>
    public string OnHost(string pathHere)
    {
        var root = HostRoot.TrimEnd('/');
        return root.Length > 0 && pathHere.StartsWith(root + "/", StringComparison.Ordinal) ? pathHere[root.Length..] : pathHere;
    }
}
