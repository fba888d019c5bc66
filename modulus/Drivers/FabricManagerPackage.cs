using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Modulus.Core.Errors;
using SharpCompress.Compressors.Xz;

namespace Modulus.Drivers;

/// <summary>
/// NVIDIA's fabric manager for NVSwitch systems (HGX/DGX A100, H100, H200, B200), from its Debian package in NVIDIA's
/// CUDA repository — <c>nvidia-fabricmanager-&lt;branch&gt;_&lt;version&gt;-&lt;rev&gt;_&lt;arch&gt;.deb</c>, from 580 on
/// <c>nvidia-fabricmanager_&lt;version&gt;-&lt;rev&gt;_&lt;arch&gt;.deb</c> — which is what Garden Linux's own installer
/// installs with apt (<c>resources/download_fabricmanager.sh</c>). Read without dpkg (an ar archive of
/// <c>control.tar.*</c> and <c>data.tar.*</c>), checked against the driver it goes with (the fabric manager must be
/// the driver's exact version), and its programs and configuration are put into the artifact (docs/install.md,
/// "Big nodes"): <c>bin/nv-fabricmanager</c> (and <c>nvswitch-audit</c>, <c>nvidia-fabricmanager-start.sh</c>
/// where the package has them) and <c>share/nvidia/nvswitch/</c> (<c>fabricmanager.cfg</c>, the topology files).
/// </summary>
internal static class FabricManagerPackage
{
    public const string Program = "nv-fabricmanager";
    public const string ShareDirectory = "share/nvidia/nvswitch";
    public const string Config = "fabricmanager.cfg";

    private static readonly string[] Programs = [Program, "nvswitch-audit", "nvidia-fabricmanager-start.sh"];
    private const string ProgramsInPackage = "usr/bin/";
    private const string ShareInPackage = "usr/share/nvidia/nvswitch/";

    /// <summary>What the package's control file says.</summary>
    public sealed record Info(string Package, string Version, string Architecture);

    /// <summary>Reads the package's control file and checks it against the driver; throws <see cref="InvalidInputException"/> saying what does not match.</summary>
    public static Info Check(string path, string driverVersion, string arch)
    {
        var control = ReadControl(path);
        string Field(string name) => control.TryGetValue(name, out var value) ? value
            : throw new InvalidInputException($"--fabric-manager-package {path}: its control file has no {name} field; is it NVIDIA's nvidia-fabricmanager .deb?");
        var info = new Info(Field("Package"), Field("Version"), Field("Architecture"));
        var branch = driverVersion.Split('.')[0];
        if (info.Package != "nvidia-fabricmanager" && info.Package != $"nvidia-fabricmanager-{branch}")
        {
            throw new InvalidInputException($"--fabric-manager-package {path} is the package '{info.Package}', not nvidia-fabricmanager-{branch} or nvidia-fabricmanager");
        }

        var upstream = info.Version.Contains('-', StringComparison.Ordinal) ? info.Version[..info.Version.LastIndexOf('-')] : info.Version;
        if (upstream.Contains(':', StringComparison.Ordinal))
        {
            upstream = upstream[(upstream.IndexOf(':', StringComparison.Ordinal) + 1)..];
        }

        if (upstream != driverVersion)
        {
            throw new InvalidInputException(
                $"--fabric-manager-package {path} is fabric manager {info.Version}, but the driver is {driverVersion}: NVIDIA's fabric manager refuses a driver of another version. " +
                $"Use nvidia-fabricmanager{(int.Parse(branch, System.Globalization.CultureInfo.InvariantCulture) >= 580 ? string.Empty : "-" + branch)}_{driverVersion}-1_{arch}.deb");
        }

        if (info.Architecture != arch)
        {
            throw new InvalidInputException($"--fabric-manager-package {path} is built for {info.Architecture}, the artifact for {arch}");
        }

        return info;
    }

    /// <summary>Puts the package's programs and configuration into <paramref name="artifactDir"/>; returns the paths written, relative to it.</summary>
    public static IReadOnlyList<string> AddTo(string path, string artifactDir)
    {
        var written = new List<string>();
        using var data = OpenMember(path, "data.tar");
        using var tar = new TarReader(data);
        while (tar.GetNextEntry() is { } entry)
        {
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name.TrimStart('/');
            var target = name.StartsWith(ProgramsInPackage, StringComparison.Ordinal) && Programs.Contains(name[ProgramsInPackage.Length..]) ? $"bin/{name[ProgramsInPackage.Length..]}"
                : name.StartsWith(ShareInPackage, StringComparison.Ordinal) && name.Length > ShareInPackage.Length && !name[ShareInPackage.Length..].Contains('/', StringComparison.Ordinal) ? $"{ShareDirectory}/{name[ShareInPackage.Length..]}"
                : null;
            if (target is null || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue; // documentation, systemd units, links: not needed to run it
            }

            var file = Path.Combine(artifactDir, target);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
            {
                entry.DataStream.CopyTo(output);
            }

            File.SetUnixFileMode(file, target.StartsWith("bin/", StringComparison.Ordinal)
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            written.Add(target);
        }

        foreach (var required in new[] { $"bin/{Program}", $"{ShareDirectory}/{Config}" })
        {
            if (!written.Contains(required))
            {
                throw new InvalidInputException($"--fabric-manager-package {path} has no /{(required.StartsWith("bin/", StringComparison.Ordinal) ? ProgramsInPackage + Program : ShareInPackage + Config)}; is it NVIDIA's nvidia-fabricmanager .deb?");
            }
        }

        return written;
    }

    private static Dictionary<string, string> ReadControl(string path)
    {
        using var control = OpenMember(path, "control.tar");
        using var tar = new TarReader(control);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name is "./control" or "control" && entry.DataStream is not null)
            {
                using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
                return reader.ReadToEnd().Split('\n')
                    .Where(line => line.Length > 0 && !char.IsWhiteSpace(line[0]) && line.Contains(':', StringComparison.Ordinal))
                    .Select(line => (Name: line[..line.IndexOf(':', StringComparison.Ordinal)], Value: line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                    .GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
            }
        }

        throw new InvalidInputException($"--fabric-manager-package {path} has no control file in its control.tar; is it a Debian package?");
    }

    /// <summary>The decompressed content of the ar member <c>&lt;prefix&gt;.gz|.xz|.zst</c> (or uncompressed) of a .deb.</summary>
    private static MemoryStream OpenMember(string path, string prefix)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"--fabric-manager-package {path} does not exist");
        }

        using var deb = new FileStream(path, FileMode.Open, FileAccess.Read);
        var magic = new byte[8];
        if (deb.Read(magic) != 8 || Encoding.ASCII.GetString(magic) != "!<arch>\n")
        {
            throw new InvalidInputException($"--fabric-manager-package {path} is not a Debian package (no ar archive header)");
        }

        var header = new byte[60];
        while (deb.Read(header) == 60)
        {
            var name = Encoding.ASCII.GetString(header, 0, 16).Trim().TrimEnd('/');
            if (!long.TryParse(Encoding.ASCII.GetString(header, 48, 10).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) || size < 0 || size > 1L << 31)
            {
                break;
            }

            if (name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal))
            {
                var member = new byte[size];
                deb.ReadExactly(member);
                using var raw = new MemoryStream(member, writable: false);
                using Stream decompressed = name[prefix.Length..] switch
                {
                    "" => new MemoryStream(member, writable: false),
                    ".gz" => new GZipStream(raw, CompressionMode.Decompress),
                    ".xz" => new XZStream(raw),
                    ".zst" => new ZstdSharp.DecompressionStream(raw),
                    var other => throw new InvalidInputException($"--fabric-manager-package {path}: {name} is compressed as '{other}', which Modulus does not read"),
                };
                var result = new MemoryStream();
                decompressed.CopyTo(result);
                result.Position = 0;
                return result;
            }

            deb.Seek(size + (size % 2), SeekOrigin.Current);
        }

        throw new InvalidInputException($"--fabric-manager-package {path} has no {prefix}.* member; is it a Debian package?");
    }
}
