using System.CommandLine;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Install;

namespace Modulus.Commands.Options;

/// <summary><c>install</c>'s options: its own, and the artifact, host, compile, store, upgrade and Kubernetes groups.</summary>
internal sealed class InstallOptions(Func<string, string?> getVariable)
{
    private readonly ArtifactOptions artifact = new("Garden Linux version (default: <host-root>/etc/os-release)", "Kernel release (default: the running kernel)");
    private readonly HostDirectoryOptions host = new();
    private readonly CompileOptions compile = new();
    private readonly StoreOptions store = new(getVariable);
    private readonly UpgradeOptions upgrade = new();
    private readonly KubernetesOptions kubernetes = new("This node's name: label it and record events on it (the chart sets MODULUS_NODE_NAME)");
    private readonly Option<bool> allowCompilation = new("--allow-compilation") { Description = "Compile through dev-builder when the store does not have the artifact (with the compile options)" };
    private readonly Option<string?> parameters = new("--module-parameters") { Description = "module.param=value items, space separated, e.g. nvidia.NVreg_EnableGpuFirmware=0" };
    private readonly Option<string> peermem = new("--peermem")
    {
        Description = "nvidia-peermem: auto (load only where the node has the InfiniBand core, else warn), always (a failure fails the install), never",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<bool> iommuPassthrough = new("--iommu-passthrough")
    {
        Description = "Switch each NVIDIA GPU's IOMMU group to identity before loading, as Garden Linux's installer does (its kernels translate DMA strictly); false leaves them",
        DefaultValueFactory = _ => true,
    };

    private readonly Option<bool> uvmDisableHmm = new("--uvm-disable-hmm")
    {
        Description = "Load nvidia-uvm with uvm_disable_hmm=1, as Garden Linux's installer does (unless --module-parameters sets it); false lets the driver use HMM",
        DefaultValueFactory = _ => true,
    };

    private readonly Option<bool> dryRun = new("--dry-run") { Description = "Print every step that would be taken and change nothing" };
    private readonly Option<bool> skipGpuCheck = new("--skip-gpu-check") { Description = "Load even where the PCI scan finds no NVIDIA GPU (VM tests; GPUs that are not PCI functions)" };
    private readonly Option<bool> persistenced = new("--start-persistenced") { Description = "Start the artifact's nvidia-persistenced" };
    private readonly Option<int> keep = new("--keep-cache-entries") { Description = "Cache entries kept besides the live one", DefaultValueFactory = _ => 2 };

    public void AddTo(Command command)
    {
        artifact.AddTo(command);
        host.AddTo(command);
        foreach (var option in new Option[] { allowCompilation, parameters, peermem, iommuPassthrough, uvmDisableHmm, dryRun, skipGpuCheck, persistenced, keep })
        {
            command.Options.Add(option);
        }

        peermem.AcceptOnlyFromAmong("auto", "always", "never");
        compile.AddTo(command);
        kubernetes.AddTo(command);
        store.AddTo(command);
        upgrade.AddTo(command);
    }

    public InstallSettings Bind(ParseResult parsed)
    {
        var selection = artifact.Bind(parsed);
        return new InstallSettings
        {
            Artifact = selection,
            Host = host.Bind(parsed),
            ModuleParameters = parsed.GetValue(uvmDisableHmm)
                ? ModuleParameters.WithDefault(ModuleParameters.Parse(parsed.GetValue(parameters)), NvidiaModules.Uvm, "uvm_disable_hmm", "1")
                : ModuleParameters.Parse(parsed.GetValue(parameters)),
            IommuPassthrough = parsed.GetValue(iommuPassthrough),
            Peermem = Enum.Parse<PeermemPolicy>(parsed.GetValue(peermem)!, ignoreCase: true),
            DryRun = parsed.GetValue(dryRun),
            SkipGpuCheck = parsed.GetValue(skipGpuCheck),
            StartPersistenced = parsed.GetValue(persistenced),
            KeepCacheEntries = parsed.GetValue(keep) is >= 0 and var k ? k : throw new InvalidInputException($"{keep.Name} must be 0 or more"),
            Compile = parsed.GetValue(allowCompilation) ? compile.Bind(parsed, DriverKinds.Of(selection.Name ?? DriverKinds.NvidiaName)) : null,
            Store = store.Bind(parsed),
            Upgrade = upgrade.Bind(parsed),
            Kubernetes = kubernetes.Bind(parsed),
        };
    }
}
