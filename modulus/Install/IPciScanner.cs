namespace Modulus.Install;

/// <summary>The NVIDIA GPUs the machine has.</summary>
internal interface IPciScanner
{
    /// <summary>PCI functions with vendor 0x10de and a display class (VGA 0x0300 or 3D 0x0302), by address.</summary>
    IReadOnlyList<PciGpu> NvidiaGpus();
}

/// <summary>One NVIDIA display/3D PCI function: its address (0000:17:00.0) and device id (0x2330 for an H100).</summary>
internal sealed record PciGpu(string Address, int DeviceId)
{
    public override string ToString() => $"{Address} (10de:{DeviceId:x4})";
}
