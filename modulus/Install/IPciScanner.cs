using Modulus.Drivers;

namespace Modulus.Install;

/// <summary>The NVIDIA GPUs the machine has.</summary>
internal interface IPciScanner
{
    /// <summary>PCI functions with vendor 0x10de and a display class (VGA 0x0300 or 3D 0x0302), by address.</summary>
    IReadOnlyList<PciGpu> NvidiaGpus();
}
