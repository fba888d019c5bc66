namespace Modulus.Install;

/// <summary>Counts the NVIDIA GPUs the machine has.</summary>
internal interface IPciScanner
{
    /// <summary>PCI functions with vendor 0x10de and a display class (VGA 0x0300 or 3D 0x0302).</summary>
    int CountNvidiaGpus();
}
