using System.CommandLine;
using Modulus.Compile;
using Modulus.Core.Artifacts;
using Modulus.Core.Validation;

namespace Modulus.Commands;

/// <summary>The options that name one artifact exactly (fetch, and later install).</summary>
internal sealed class ArtifactKeyOptions
{
    public Option<string?> DriverVersion { get; } = CommonOptions.DriverVersion();

    public Option<string?> GardenlinuxVersion { get; } = CommonOptions.GardenlinuxVersion();

    public Option<string?> KernelVersion { get; } = CommonOptions.KernelVersion("Kernel release, e.g. 6.6.62-cloud-amd64");

    public Option<string> DriverName { get; } = CommonOptions.DriverName();

    public Option<string> ModuleType { get; } = CommonOptions.ModuleType();

    public Option<string?> Arch { get; } = CommonOptions.Arch();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { DriverVersion, GardenlinuxVersion, KernelVersion, DriverName, ModuleType, Arch })
        {
            command.Options.Add(option);
        }
    }

    public ArtifactKey Resolve(ParseResult parsed)
    {
        var name = InputValidator.DriverName(parsed.GetValue(DriverName));
        var version = InputValidator.DriverVersion(parsed.GetValue(DriverVersion));
        return new ArtifactKey(
            name,
            version,
            CompileRequest.ResolveModuleType(InputValidator.ModuleType(parsed.GetValue(ModuleType)), CompileRequest.KindOf(name), version),
            parsed.GetValue(Arch) is { } arch ? InputValidator.Arch(arch) : InputValidator.HostArch(),
            InputValidator.GardenlinuxVersion(parsed.GetValue(GardenlinuxVersion)),
            InputValidator.KernelRelease(parsed.GetValue(KernelVersion)));
    }
}
