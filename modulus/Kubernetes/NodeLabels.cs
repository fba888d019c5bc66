namespace Modulus.Kubernetes;

/// <summary>
/// The labels, the node condition and the upgrade states Modulus sets on nodes (docs/kubernetes.md), in one place:
/// the chart, GPU workloads and operators select on these names.
/// </summary>
internal static class NodeLabels
{
    /// <summary>The driver version live on the node.</summary>
    public const string DriverVersion = "modulus.gardenlinux.io/nvidia-driver-version";

    /// <summary>The Garden Linux version the live driver was installed for: the node's own (its os-release).</summary>
    public const string GardenlinuxVersion = "modulus.gardenlinux.io/gardenlinux-version";

    /// <summary>"true" while the driver is live, "false" on a node without an NVIDIA GPU, absent otherwise.</summary>
    public const string DriverReady = "modulus.gardenlinux.io/nvidia-driver-ready";

    /// <summary>The node's Garden Linux version, where a node pool sets it (Gardener does not).</summary>
    public const string OsVersion = "os-version";

    /// <summary>The node's in-place upgrade state (<see cref="UpgradeStates"/>).</summary>
    public const string UpgradeState = "modulus.gardenlinux.io/nvidia-driver-upgrade-state";

    /// <summary>"true": the node is never upgraded in place.</summary>
    public const string UpgradeSkip = "modulus.gardenlinux.io/nvidia-driver-upgrade.skip";

    /// <summary>
    /// The GPU Operator's switch for all its operands on a node (toolkit, device plugin, validator, …): "false" takes
    /// them off, "true" or no label lets them back (gpu-operator <c>state_manager.go</c>).
    /// </summary>
    public const string GpuDeployOperands = "nvidia.com/gpu.deploy.operands";

    /// <summary>Annotation holding <see cref="GpuDeployOperands"/>' value from before Modulus set it ("-": there was none).</summary>
    public const string GpuDeployOperandsBefore = "modulus.gardenlinux.io/gpu-deploy-operands-before";

    /// <summary>The node condition Modulus keeps true to the driver's state.</summary>
    public const string ReadyCondition = "NvidiaDriverReady";
}

/// <summary>The values of <see cref="NodeLabels.UpgradeState"/>, in the order an upgrade goes through them (the GPU Operator's names).</summary>
internal static class UpgradeStates
{
    public const string Required = "upgrade-required";
    public const string CordonRequired = "cordon-required";
    public const string WaitForJobsRequired = "wait-for-jobs-required";
    public const string PodDeletionRequired = "pod-deletion-required";
    public const string DrainRequired = "drain-required";
    public const string InProgress = "upgrade-in-progress";
    public const string UncordonRequired = "uncordon-required";
    public const string Done = "upgrade-done";
    public const string Failed = "upgrade-failed";
}
