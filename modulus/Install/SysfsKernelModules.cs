using Microsoft.Extensions.Logging;

namespace Modulus.Install;

/// <summary>The real kernel: state from <c>&lt;host-root&gt;/sys/module</c>, changes through system calls.</summary>
internal sealed class SysfsKernelModules(string hostRoot, ILogger? logger = null) : IKernelModules
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

    public void Load(string path, string parameters)
    {
        var loading = NativeKernel.LoadModule(path, parameters, Sys("module"));
        if (loading.Compression is not null && !loading.ByKernel)
        {
            var file = Path.Combine(Sys("module"), "compression");
            var kernel = NativeKernel.KernelCompression(Sys("module"));
            logger?.LogInformation(
                "{Path:l} is {Compression:l}-compressed and this kernel cannot decompress it ({Reason:l}): modulus decompressed it ({Bytes} bytes) and loaded the image with init_module",
                path, loading.Compression, kernel is null ? $"there is no {file}: CONFIG_MODULE_DECOMPRESS is off" : $"{file} says it decompresses {kernel} only", loading.ImageBytes);
        }
        else if (loading.ByKernel)
        {
            logger?.LogInformation("{Path:l} is {Compression:l}-compressed; the kernel decompressed it itself", path, loading.Compression);
        }
    }

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
