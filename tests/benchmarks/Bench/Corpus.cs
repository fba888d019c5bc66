using System.Globalization;
using Modulus.Core.Artifacts;

namespace Modulus.Bench;

/// <summary>
/// The artifact the transfer rows move: real ELF files from this machine laid out like a driver artifact (kernel
/// modules under lib/modules, shared libraries under lib/), with a manifest as compile writes it.
/// </summary>
internal static class Corpus
{
    public const string Gardenlinux = "1877.3";
    public const string Version = "595.45.04";

    /// <summary>Fills <paramref name="artifact"/> with up to <paramref name="mib"/> MiB of real .ko and .so files.</summary>
    public static (int Files, long Bytes) Build(string artifact, int mib)
    {
        var sources = new[]
        {
            ("lib/modules", VmModules()), ("lib", "/usr/lib/x86_64-linux-gnu"), ("lib/dotnet", "/usr/share/dotnet/shared"),
        };
        var files = 0;
        long bytes = 0;
        foreach (var (target, root) in sources.Where(s => s.Item2 is not null && Directory.Exists(s.Item2)))
        {
            foreach (var path in Directory.EnumerateFiles(root!, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Order(StringComparer.Ordinal))
            {
                if (bytes >= (long)mib << 20)
                {
                    return (files, bytes);
                }

                var info = new FileInfo(path);
                if (info.LinkTarget is not null || info.Length < 4096 || !(path.EndsWith(".ko", StringComparison.Ordinal) || path.Contains(".so", StringComparison.Ordinal)) || !IsElf(path))
                {
                    continue;
                }

                var destination = Path.Combine(artifact, target, Path.GetRelativePath(root!, path));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(path, destination);
                files++;
                bytes += info.Length;
            }
        }

        return (files, bytes);
    }

    /// <summary>
    /// The corpus' files copied into <paramref name="target"/> up to <paramref name="mib"/> MiB: round N under N/, so
    /// repeated files keep distinct paths; a file that would pass the size is left out and smaller ones fill the rest.
    /// </summary>
    public static long Copy(string corpus, string target, int mib)
    {
        var sources = Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != Manifest.FileName).Order(StringComparer.Ordinal)
            .Select(f => (Path: f, Length: new FileInfo(f).Length)).ToList();
        var limit = (long)mib << 20;
        long bytes = 0;
        for (var round = 0; sources.Any(s => bytes + s.Length <= limit); round++)
        {
            foreach (var (source, length) in sources)
            {
                if (bytes + length > limit)
                {
                    continue;
                }

                var destination = Path.Combine(target, round.ToString(CultureInfo.InvariantCulture), Path.GetRelativePath(corpus, source));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(source, destination);
                bytes += length;
            }
        }

        return bytes;
    }

    public static async Task WriteManifestAsync(string artifact, string kernel) => await ManifestFile.WriteAsync(artifact, new Manifest
    {
        Driver = new DriverInfo("nvidia", Version, ModuleType.Open, DriverKind.NvidiaRunfile),
        GardenlinuxVersion = Gardenlinux,
        KernelRelease = kernel,
        Arch = "amd64",
        Files = await ArtifactScanner.ScanFilesAsync(artifact, CancellationToken.None),
        Modules = [],
        Build = new BuildInfo("bench", "bench", "none", DateTimeOffset.UtcNow, 0),
        CreatedAt = DateTimeOffset.UtcNow,
    }, CancellationToken.None);

    /// <summary>The VM kernel's module tree (.tools/vm), else this machine's.</summary>
    private static string? VmModules()
    {
        var tools = Path.Combine(BenchRepo.Root, ".tools", "vm", "lib", "modules");
        return Directory.Exists(tools) ? tools : Directory.Exists("/lib/modules") ? "/lib/modules" : null;
    }

    private static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
    }
}
