namespace Modulus.Drivers;

/// <summary>One NVIDIA display/3D PCI function: its address (0000:17:00.0) and device id (0x2330 for an H100).</summary>
internal sealed record PciGpu(string Address, int DeviceId)
{
    public override string ToString() => $"{Address} (10de:{DeviceId:x4})";
}
