using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Processes;

namespace Modulus.Install;

/// <summary>After loading: the modules are in /sys/module, and nvidia-smi (when the artifact has it) sees as many GPUs as the PCI scan.</summary>
internal sealed class DriverValidator(IKernelModules modules, IProcessRunner runner, ILogger logger)
{
    public async Task ValidateAsync(InstallRun run, Manifest manifest, IReadOnlyList<ModuleEntry> plan, int gpus, CancellationToken cancellationToken)
    {
        if (run.DryRun)
        {
            return;
        }

        var missing = plan.Where(m => modules.Get(m.Name) is null && !ModuleLoader.IsOptional(run, m.Name)).Select(m => m.Name).ToList();
        if (missing.Count > 0)
        {
            throw new ModulusException($"after loading, {string.Join(", ", missing)} is not in /sys/module; see the kernel log (dmesg)");
        }

        var layout = ArtifactLayout.Of(manifest);
        var smi = Path.Combine(run.Entry, layout.Programs, "nvidia-smi");
        if (!File.Exists(smi))
        {
            logger.LogWarning("The artifact has no bin/nvidia-smi (its driver package carried no userspace): the modules are loaded, but nothing validates that the driver sees the GPUs");
            return;
        }

        var listed = 0;
        // nvidia-smi loads libnvidia-ml.so.1: the artifact's own, not whatever the host's library cache names.
        var spec = new ProcessSpec(smi, ["-L"]) { Environment = new Dictionary<string, string?> { ["LD_LIBRARY_PATH"] = Path.Combine(run.Entry, layout.Libraries) } };
        await runner.RunAsync(spec, line => listed += line.Text.StartsWith("GPU ", StringComparison.Ordinal) ? 1 : 0, cancellationToken);
        if (listed != gpus)
        {
            throw new ModulusException($"nvidia-smi lists {listed} GPU(s), but the PCI scan found {gpus} NVIDIA GPU(s); the driver does not see every GPU (check dmesg for NVRM errors)");
        }

        logger.LogInformation("nvidia-smi lists {Gpus} GPU(s), as the PCI scan found", listed);
    }
}
