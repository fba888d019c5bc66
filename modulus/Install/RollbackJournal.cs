using Microsoft.Extensions.Logging;

namespace Modulus.Install;

/// <summary>
/// What one install changed in the kernel: the modules it loaded, in order, and the firmware search path it
/// replaced. After a failure <see cref="RollBack"/> unloads them newest first and restores the path.
/// </summary>
internal sealed class RollbackJournal
{
    private readonly List<string> loaded = [];
    private string? firmwarePathBefore;

    public IReadOnlyList<string> Loaded => loaded;

    public void ModuleLoaded(string name) => loaded.Add(name);

    /// <summary>Records the path before the first change (later changes keep the first one).</summary>
    public void FirmwarePathChanged(string? before) => firmwarePathBefore ??= before;

    public void RollBack(IKernelModules modules, ILogger logger)
    {
        foreach (var name in Enumerable.Reverse(loaded).ToList())
        {
            try
            {
                modules.Unload(name);
                logger.LogWarning("Rolled back: unloaded {Module:l}, which this run had loaded", name);
            }
            catch (IOException e)
            {
                logger.LogError("Rolling back: could not unload {Module} ({Error}); it stays loaded", name, e.Message);
            }
        }

        loaded.Clear();
        if (firmwarePathBefore is not null)
        {
            modules.SetFirmwarePath(firmwarePathBefore);
            logger.LogWarning("Rolled back: firmware search path restored to '{Path:l}'", firmwarePathBefore);
            firmwarePathBefore = null;
        }
    }
}
