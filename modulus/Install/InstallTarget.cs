using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Validation;
using Modulus.Drivers;
using Modulus.Kubernetes;

namespace Modulus.Install;

/// <summary>
/// Step 1 of the install sequence: the artifact this node needs. The node decides what it is: its Garden Linux
/// version from <c>&lt;host-root&gt;/etc/os-release</c>, its kernel from the running kernel, its arch from this
/// machine. A value the operator gave is used only where the node does not say (the Garden Linux version on a host
/// whose os-release is not Garden Linux's; then the node's <c>os-version</c> label); where it disagrees with the
/// node, install warns once, records an Event and uses the node's. <c>auto</c> comes from the GPUs, the driver
/// version and the Garden Linux version (<see cref="ModuleTypeRule"/>).
/// </summary>
internal static class InstallTarget
{
    public static async Task<(ArtifactKey Key, string ModuleTypeReason)> ResolveAsync(
        ArtifactSelection selection, HostSettings host, IPciScanner pci, NodeReporter? reporter, bool dryRun, ILogger logger, CancellationToken cancellationToken)
    {
        var name = selection.Name ?? DriverKinds.NvidiaName;
        var nodeGardenlinux = HostFacts.GardenlinuxVersion(host.HostRoot);
        var nodeKernel = InputValidator.KernelRelease(HostFacts.RunningKernel(host.HostRoot), "the running kernel");
        var nodeArch = InputValidator.HostArch();

        var ignored = new List<string>();
        Compare("--gardenlinux-version", selection.GardenlinuxVersion, nodeGardenlinux, $"{Path.Combine(host.HostRoot, "etc", "os-release")} says", ignored);
        Compare("--kernel-version", selection.KernelRelease, nodeKernel, "the running kernel is", ignored);
        Compare("--arch", selection.Arch, nodeArch, "this machine is", ignored);
        if (ignored.Count > 0)
        {
            var message = $"The node decides what it needs: {string.Join("; ", ignored)}. Remove the value (MODULUS_* variable or option) from this node pool's installer settings.";
            logger.LogWarning("{Message}", message);
            if (reporter is not null && !dryRun)
            {
                await reporter.ReportSettingIgnoredAsync(message, cancellationToken);
            }
        }

        var gardenlinux = nodeGardenlinux ?? selection.GardenlinuxVersion
            ?? (reporter is null ? null : await reporter.GardenlinuxVersionAsync(cancellationToken))
            ?? throw new InvalidInputException($"--gardenlinux-version is required: {HostFacts.DescribeOs(host.HostRoot)} and the node has no os-version label");
        gardenlinux = InputValidator.GardenlinuxVersion(gardenlinux);
        var (moduleType, reason) = ModuleTypeRule.Choose(selection.ModuleType, DriverKinds.Of(name), selection.Version, gardenlinux, pci.NvidiaGpus());
        return (new ArtifactKey(name, selection.Version, moduleType, nodeArch, gardenlinux, nodeKernel), reason);
    }

    private static void Compare(string option, string? given, string? node, string nodeSays, List<string> ignored)
    {
        if (given is not null && node is not null && !string.Equals(given, node, StringComparison.Ordinal))
        {
            ignored.Add($"{option} {given} is ignored, {nodeSays} {node}");
        }
    }
}
