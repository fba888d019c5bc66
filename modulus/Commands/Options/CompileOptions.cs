using System.CommandLine;
using Modulus.Compile;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Validation;
using Modulus.Distribution;

namespace Modulus.Commands.Options;

/// <summary>
/// How to compile, for <c>compile</c> and for <c>install --allow-compilation</c> alike, bound into
/// <see cref="CompileSettings"/> with the same checks for both: what one refuses, the other refuses too.
/// </summary>
internal sealed class CompileOptions
{
    public Option<string?> DriverSource { get; } = new("--driver-source") { Description = "file://, http(s):// or a path, as dev-builder sees it (default for nvidia-runfile: NVIDIA's download)" };

    public Option<string?> DriverSourceSha256 { get; } = new Option<string?>("--driver-source-sha256") { Description = "Expected SHA-256 of the driver source file; a different file is refused before it runs" }.RejectsEmptyVariable();

    public Option<bool> KeepDebugInfo { get; } = new("--keep-debug-info") { Description = "Keep the modules' debug info (default: stripped, as INSTALL_MOD_STRIP=1)" };

    public Option<string?> SigningKey { get; } = new Option<string?>("--module-signing-key") { Description = "Private key (PEM, as the dev container sees it) that signs every module for Secure Boot" }.RejectsEmptyVariable();

    public Option<string?> SigningCert { get; } = new Option<string?>("--module-signing-cert") { Description = "Its X.509 certificate (PEM or DER); nodes must trust it (in the firmware's db)" }.RejectsEmptyVariable();

    public Option<string?> FabricManagerPackage { get; } = new("--fabric-manager-package")
    {
        Description = "NVIDIA's nvidia-fabricmanager .deb of the same driver version (absolute path), added to every artifact for NVSwitch nodes",
    };

    public Option<string?> CmdDir { get; } = new("--cmd-dir") { Description = "Cmd dir shared with a running dev-builder (the /cmd emptyDir)" };

    public Option<bool> LocalBuilder { get; } = new("--local-builder") { Description = "Start dev-builder as a child process over a private cmd dir" };

    public Option<string?> DevBuilder { get; } = new("--dev-builder") { Description = "The dev-builder executable --local-builder starts (default: beside modulus)" };

    public Option<string?> Payload { get; } = new("--dev-builder-payload") { Description = "dev-builder tarball to place into the cmd dir for bootstrap.sh (default: beside modulus)" };

    public Option<double> ReadyTimeout { get; } = new("--ready-timeout") { Description = "Seconds to wait for dev-builder's ready file", DefaultValueFactory = _ => 300 };

    public Option<double> HeartbeatTimeout { get; } = new("--heartbeat-timeout") { Description = "Seconds of silence after which dev-builder counts as dead", DefaultValueFactory = _ => 30 };

    public Option<string> Compression { get; } = CommonOptions.Compression();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { DriverSource, DriverSourceSha256, KeepDebugInfo, SigningKey, SigningCert, FabricManagerPackage, CmdDir, LocalBuilder, DevBuilder, Payload, ReadyTimeout, HeartbeatTimeout, Compression })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The settings for building <paramref name="kind"/>; every check of a compile, before any work.</summary>
    public CompileSettings Bind(ParseResult parsed, DriverKind kind, bool force = false)
    {
        var settings = new CompileSettings
        {
            DriverSource = parsed.Checked(DriverSource, InputValidator.DriverSource),
            DriverSourceSha256 = parsed.Checked(DriverSourceSha256, InputValidator.Sha256),
            KeepDebugInfo = parsed.GetValue(KeepDebugInfo),
            ModuleSigningKey = parsed.AbsolutePath(SigningKey),
            ModuleSigningCert = parsed.AbsolutePath(SigningCert),
            FabricManagerPackage = parsed.AbsolutePath(FabricManagerPackage),
            CmdDir = parsed.FullDirectoryOrNull(CmdDir),
            LocalBuilder = parsed.GetValue(LocalBuilder),
            DevBuilderExecutable = parsed.GetValue(DevBuilder) ?? LocalDevBuilder.DefaultExecutable,
            DevBuilderPayload = parsed.GetValue(Payload) ?? PayloadPlacer.DefaultPayload,
            Client = new DevBuilderClientOptions
            {
                ReadyTimeout = parsed.Seconds(ReadyTimeout, 86400),
                HeartbeatTimeout = parsed.Seconds(HeartbeatTimeout, 86400),
            },
            Compression = BlobCompression.Validate(parsed.GetValue(Compression), Compression.Name),
            Force = force,
        };
        if (settings.LocalBuilder == (settings.CmdDir is not null))
        {
            throw new InvalidInputException($"pass exactly one of {CmdDir.Name} DIR (attach to the dev container's dev-builder) and {LocalBuilder.Name} (start one here)");
        }

        if ((settings.ModuleSigningKey is null) != (settings.ModuleSigningCert is null))
        {
            throw new InvalidInputException($"{SigningKey.Name} and {SigningCert.Name} go together: pass both or neither");
        }

        if (kind == DriverKind.Kbuild && settings.DriverSource is null)
        {
            throw new InvalidInputException($"{DriverSource.Name} is required for --driver-kind kbuild: a directory or tarball of module sources");
        }

        return settings;
    }
}
