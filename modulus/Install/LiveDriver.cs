namespace Modulus.Install;

/// <summary>
/// The one judge of "the driver is live", for install (nothing to do) and status (ready): the modules it needs are
/// loaded (initstate live), the first of them at the wanted version (or, for modules that carry none, the driver
/// link names the wanted entry), and <c>/dev/nvidiactl</c> exists where the driver is NVIDIA's.
/// </summary>
internal sealed class LiveDriver(IKernelModules modules, IDeviceNodes devices, DriverLink link)
{
    public DriverLink Link => link;

    /// <summary>Null when <paramref name="required"/> (load order) are live at <paramref name="version"/> from <paramref name="entry"/>; else why not.</summary>
    public string? WhyNotLive(IReadOnlyList<string> required, string version, string entry)
    {
        var missing = required.Where(m => modules.Get(m) is null).ToList();
        if (required.Count == 0 || missing.Count > 0)
        {
            return "not loaded: " + string.Join(", ", missing.Count > 0 ? missing : [NvidiaModules.Nvidia]);
        }

        var primary = modules.Get(required[0])!;
        if (primary.Version is { } loaded ? loaded != version : !link.Names(entry))
        {
            return $"{primary.Name} {primary.Version ?? "(of another artifact)"} is loaded, the linked artifact is {version}";
        }

        return required.Contains(NvidiaModules.Nvidia) && !devices.Exists("nvidiactl") ? "/dev/nvidiactl is missing" : null;
    }
}
