namespace Modulus.Install;

/// <summary>The running kernel's modules: what is loaded, at which version, who holds it; loading and unloading.</summary>
internal interface IKernelModules
{
    /// <summary>The module's state, or null when it is not loaded (<c>/sys/module/&lt;name&gt;</c>).</summary>
    LoadedModule? Get(string name);

    /// <summary>
    /// Loads a module file with parameters: <c>.ko</c>, or <c>.ko.xz</c>/<c>.ko.zst</c>/<c>.ko.gz</c> decompressed by the kernel
    /// where it can and by modulus where it cannot (<see cref="NativeKernel.LoadModule"/>).
    /// </summary>
    void Load(string path, string parameters);

    /// <summary>Unloads a module that nothing uses (<c>delete_module</c>).</summary>
    void Unload(string name);

    /// <summary>Sets the kernel's firmware search path, when the kernel has the parameter ("" restores the default).</summary>
    bool SetFirmwarePath(string path);

    /// <summary>The kernel's firmware search path; null when the kernel has no such parameter.</summary>
    string? GetFirmwarePath();
}

/// <summary>A loaded module: its version (modinfo <c>version</c>, may be null), reference count and holders.</summary>
internal sealed record LoadedModule(string Name, string? Version, int RefCount, IReadOnlyList<string> Holders)
{
    /// <summary>False where the kernel cannot unload modules at all (no <c>refcnt</c>: CONFIG_MODULE_UNLOAD is off).</summary>
    public bool Unloadable { get; init; } = true;

    /// <summary>References beyond those of dependent modules: open files, other users.</summary>
    public int Users => Math.Max(0, RefCount - Holders.Count);
}
