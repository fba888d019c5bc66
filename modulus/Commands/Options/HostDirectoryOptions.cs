using System.CommandLine;
using Modulus.Install;

namespace Modulus.Commands.Options;

/// <summary>The host root, the host cache and the host driver path (install, status, watch).</summary>
internal sealed class HostDirectoryOptions
{
    public Option<string> HostRoot { get; } = new("--host-root") { Description = "The host's / as mounted here", DefaultValueFactory = _ => "/" };

    public Option<string> CacheDir { get; } = CommonOptions.CacheDir();

    public Option<string> HostDriverPath { get; } = new("--host-driver-path") { Description = "Host path with the nvidia link to the live cache entry", DefaultValueFactory = _ => HostSettings.DefaultHostDriverPath };

    public void AddTo(Command command)
    {
        command.Options.Add(HostRoot);
        command.Options.Add(CacheDir);
        command.Options.Add(HostDriverPath);
    }

    public HostSettings Bind(ParseResult parsed) => new(
        parsed.FullDirectory(HostRoot),
        parsed.FullDirectory(CacheDir),
        Core.Validation.InputValidator.AbsolutePath(parsed.GetValue(HostDriverPath)!, HostDriverPath.Name));
}
