namespace Modulus.Install;

/// <summary>The real kernel: state from <c>&lt;host-root&gt;/sys/module</c>, changes through system calls.</summary>
internal sealed class SysfsKernelModules(string hostRoot) : IKernelModules
{
    private string Sys(params string[] parts) => Path.Combine([hostRoot, "sys", .. parts]);

    public LoadedModule? Get(string name)
    {
        var dir = Sys("module", name);
        if (!Directory.Exists(dir) || !File.Exists(Path.Combine(dir, "refcnt")))
        {
            return null; // built-in modules have a /sys/module dir without refcnt
        }

        var version = Path.Combine(dir, "version");
        var holders = Path.Combine(dir, "holders");
        return new LoadedModule(
            name,
            File.Exists(version) ? File.ReadAllText(version).Trim() : null,
            int.Parse(File.ReadAllText(Path.Combine(dir, "refcnt")).Trim(), System.Globalization.CultureInfo.InvariantCulture),
            Directory.Exists(holders) ? [.. Directory.EnumerateFileSystemEntries(holders).Select(Path.GetFileName).Order(StringComparer.Ordinal)!] : []);
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
