using System.CommandLine;

namespace Modulus.Commands;

/// <summary>Options several commands share; each call makes a new instance for one command.</summary>
internal static class CommonOptions
{
    public const string DefaultCacheDir = "/opt/modulus/cache";

    public static Option<string?> DriverVersion() =>
        new("--driver-version") { Description = "Driver version, e.g. 550.127.08" };

    public static Option<string?> GardenlinuxVersion(string description = "Garden Linux version, e.g. 1592.3") =>
        new("--gardenlinux-version") { Description = description };

    public static Option<string?> KernelVersion(string description) =>
        new("--kernel-version") { Description = description };

    public static Option<string> DriverName() =>
        new("--driver-name") { Description = "Driver or module set name", DefaultValueFactory = _ => "nvidia" };

    public static Option<string> ModuleType() =>
        new("--module-type") { Description = "auto, open or proprietary (auto: proprietary below 560, open from 560)", DefaultValueFactory = _ => "auto" };

    public static Option<string?> Arch() =>
        new("--arch") { Description = "amd64 or arm64 (default: this machine's)" };

    public static Option<string> CacheDir() =>
        new("--cache-dir") { Description = "Host cache directory", DefaultValueFactory = _ => DefaultCacheDir };

    public static Option<string> HostRoot() =>
        new("--host-root") { Description = "The host's / as mounted here", DefaultValueFactory = _ => "/" };

    public static Option<string> HostDriverPath() =>
        new("--host-driver-path") { Description = "Host path with the nvidia link to the live cache entry", DefaultValueFactory = _ => "/opt/drivers" };

    public static Option<string?> CmdDir() =>
        new("--cmd-dir") { Description = "Cmd dir shared with a running dev-builder (the /cmd emptyDir)" };

    public static Option<string> Compression() =>
        new("--compression") { Description = "Blob format: zstd (multi-threaded) or gzip (readable by modulus before 0.2)", DefaultValueFactory = _ => Distribution.BlobCompression.Default };

    public static Option<bool> LocalBuilder() =>
        new("--local-builder") { Description = "Start dev-builder as a child process over a private cmd dir" };
}
