using System.CommandLine;

namespace Modulus.Commands.Options;

/// <summary>Single options several commands share; each call makes a new instance for one command.</summary>
internal static class CommonOptions
{
    public const string DefaultCacheDir = "/opt/modulus/cache";

    public static Option<string?> GardenlinuxVersion(string description = "Garden Linux version, e.g. 1592.3") =>
        new("--gardenlinux-version") { Description = description };

    public static Option<string?> KernelVersion(string description) =>
        new("--kernel-version") { Description = description };

    public static Option<string> CacheDir() =>
        new("--cache-dir") { Description = "Host cache directory", DefaultValueFactory = _ => DefaultCacheDir };

    public static Option<string> Compression() =>
        new("--compression") { Description = "Blob format: zstd (multi-threaded) or gzip (readable by modulus before 0.2)", DefaultValueFactory = _ => Distribution.BlobCompression.Default };

    public static Option<bool> Json(string description) => new("--json") { Description = description };
}
