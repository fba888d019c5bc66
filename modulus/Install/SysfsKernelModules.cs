namespace Modulus.Install;

/// <summary>The real kernel: state from <c>&lt;host-root&gt;/sys/module</c>, changes through system calls.</summary>
internal sealed class SysfsKernelModules(string hostRoot) : IKernelModules
{
    private string Sys(params string[] parts) => Path.Combine([hostRoot, "sys", .. parts]);

    /// <summary>
    /// A loadable module is loaded when <c>initstate</c> says <c>live</c>; built-ins have a /sys/module dir without
    /// <c>initstate</c>. A kernel without module unloading (CONFIG_MODULE_UNLOAD off) has no <c>refcnt</c>.
    /// </summary>
    public LoadedModule? Get(string name)
    {
        var dir = Sys("module", name);
        var initstate = Path.Combine(dir, "initstate");
        if (!File.Exists(initstate) || File.ReadAllText(initstate).Trim() != "live")
        {
            return null;
        }

        var version = Path.Combine(dir, "version");
        var holders = Path.Combine(dir, "holders");
        var refcnt = Path.Combine(dir, "refcnt");
        return new LoadedModule(
            name,
            File.Exists(version) ? File.ReadAllText(version).Trim() : null,
            File.Exists(refcnt) ? int.Parse(File.ReadAllText(refcnt).Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0,
            Directory.Exists(holders) ? [.. Directory.EnumerateFileSystemEntries(holders).Select(Path.GetFileName).Order(StringComparer.Ordinal)!] : [])
        {
            Unloadable = File.Exists(refcnt),
        };
    }

    public void Load(string path, string parameters) => NativeKernel.FinitModule(path, parameters);

    public void Unload(string name) => NativeKernel.DeleteModule(name);

    private string FirmwareParameter => Sys("module", "firmware_class", "parameters", "path");

    public bool SetFirmwarePath(string path)
    {
        if (!File.Exists(FirmwareParameter))
        {
            return false;
        }

        // The kernel keeps what was written up to a newline; a lone newline clears the path.
        File.WriteAllText(FirmwareParameter, path.Length == 0 ? "\n" : path);
        return true;
    }

    public string? GetFirmwarePath() => File.Exists(FirmwareParameter) ? File.ReadAllText(FirmwareParameter).TrimEnd('\n') : null;
}
