using System.CommandLine;
using Modulus.Core.Artifacts;
using Modulus.Core.Validation;
using Modulus.Drivers;

namespace Modulus.Commands.Options;

/// <summary>The options that name an artifact: driver version and name, module type, arch, Garden Linux version, kernel.</summary>
internal sealed class ArtifactOptions
{
    public ArtifactOptions(string gardenlinuxDescription, string kernelDescription, string? defaultName = DriverKinds.NvidiaName, string nameDescription = "Driver or module set name")
    {
        GardenlinuxVersion = CommonOptions.GardenlinuxVersion(gardenlinuxDescription);
        KernelVersion = CommonOptions.KernelVersion(kernelDescription);
        DriverName = defaultName is null
            ? new Option<string?>("--driver-name") { Description = nameDescription }
            : new Option<string?>("--driver-name") { Description = nameDescription, DefaultValueFactory = _ => defaultName };
    }

    public Option<string?> DriverVersion { get; } = new("--driver-version") { Description = "Driver version, e.g. 550.127.08" };

    public Option<string?> GardenlinuxVersion { get; }

    public Option<string?> KernelVersion { get; }

    public Option<string?> DriverName { get; }

    public Option<string> ModuleType { get; } = new("--module-type") { Description = "auto, open or proprietary (auto: proprietary below 560, open from 560)", DefaultValueFactory = _ => ModuleTypes.Auto };

    public Option<string?> Arch { get; } = new("--arch") { Description = "amd64 or arm64 (default: this machine's)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { DriverVersion, GardenlinuxVersion, KernelVersion, DriverName, ModuleType, Arch })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>What the options say, each value checked; the driver version is required, the rest may be left to the command.</summary>
    public ArtifactSelection Bind(ParseResult parsed) => new()
    {
        Name = parsed.Checked(DriverName, InputValidator.DriverName),
        Version = InputValidator.DriverVersion(parsed.GetValue(DriverVersion), DriverVersion.Name),
        ModuleType = ModuleTypes.ParseChoice(parsed.GetValue(ModuleType), ModuleType.Name),
        Arch = parsed.Checked(Arch, InputValidator.Arch) ?? InputValidator.HostArch(),
        GardenlinuxVersion = parsed.Checked(GardenlinuxVersion, InputValidator.GardenlinuxVersion),
        KernelRelease = parsed.Checked(KernelVersion, InputValidator.KernelRelease),
    };

    /// <summary>One artifact exactly (fetch): every part required, auto resolved by the driver and Garden Linux versions.</summary>
    public ArtifactKey BindKey(ParseResult parsed)
    {
        var selection = Bind(parsed);
        var name = selection.Name ?? DriverKinds.NvidiaName;
        var gardenlinuxVersion = selection.GardenlinuxVersion ?? InputValidator.GardenlinuxVersion(null, GardenlinuxVersion.Name);
        return new ArtifactKey(
            name,
            selection.Version,
            ModuleTypeRule.Resolve(selection.ModuleType, DriverKinds.Of(name), selection.Version, gardenlinuxVersion),
            selection.Arch,
            gardenlinuxVersion,
            selection.KernelRelease ?? InputValidator.KernelRelease(null, KernelVersion.Name));
    }
}
