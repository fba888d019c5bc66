namespace Modulus.Install;

/// <summary>
/// nvidia-peermem (GPUDirect RDMA): <see cref="Auto"/> loads it only when the node has the InfiniBand core it needs
/// (ib_core, MLNX OFED), else warns once; <see cref="Always"/> loads it and fails the install when it cannot;
/// <see cref="Never"/> skips it.
/// </summary>
internal enum PeermemPolicy
{
    Auto,
    Always,
    Never,
}
