using Modulus.Core.Errors;
using Modulus.Core.Pipes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// Finds the kernel headers of the dev environment: <c>/lib/modules/*/build</c> and
/// <c>/usr/src/linux-headers-*</c> whose <c>include/generated/utsrelease.h</c> names their release, and for each
/// its source dir the way the kernel's own build finds it (see <see cref="FindSource"/>).
/// </summary>
internal sealed partial class KernelHeadersLocator(string sysroot)
{
    public IReadOnlyList<KernelHeaders> Discover()
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var modules = Path.Combine(sysroot, "lib", "modules");
        if (Directory.Exists(modules))
        {
            foreach (var dir in Directory.EnumerateDirectories(modules))
            {
                var build = Rerooted(Path.Combine(dir, "build"));
                if (build is not null && Directory.Exists(build))
                {
                    found.TryAdd(Path.GetFileName(dir), build);
                }
            }
        }

        var src = Path.Combine(sysroot, "usr", "src");
        if (Directory.Exists(src))
        {
            foreach (var dir in Directory.EnumerateDirectories(src, "linux-headers-*").Order(StringComparer.Ordinal))
            {
                if (ReadRelease(dir) is { } release)
                {
                    found.TryAdd(release, dir);
                }
            }
        }

        return [.. found.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new KernelHeaders(p.Key, p.Value) { Source = FindSource(p.Key, p.Value), Arch = ReadArch(p.Value) })];
    }

    /// <summary>The headers for <paramref name="release"/>, or the only ones there are when it is null.</summary>
    public KernelHeaders Select(string? release)
    {
        var all = Discover();
        var listing = all.Count == 0
            ? $"none found (looked for {Path.Combine(sysroot, "lib/modules/*/build")} and {Path.Combine(sysroot, "usr/src/linux-headers-*")})"
            : string.Join(", ", all.Select(k => $"{k.Release} ({k.Path}{(k.Source is { } s && s != k.Path ? ", source " + s : string.Empty)})"));
        if (release is not null)
        {
            return all.FirstOrDefault(k => k.Release == release)
                ?? throw new ModulusException($"no kernel headers for {release} in the dev environment; it has: {listing}. " +
                    "Use the kmodbuild image of the node's Garden Linux version, or pass the kernel it has.", ExitCodes.InvalidInput);
        }

        return all.Count switch
        {
            1 => all[0],
            0 => throw new ModulusException($"no kernel headers in the dev environment: {listing}. Install the headers or use the kmodbuild image.", ExitCodes.InvalidInput),
            _ => throw new ModulusException($"several kernels' headers in the dev environment: {listing}. Pass --kernel-version to choose one.", ExitCodes.InvalidInput),
        };
    }

    /// <summary>
    /// The source dir of split headers, found as kbuild and NVIDIA's Makefile find it: the build dir's
    /// <c>source</c> link (what <c>make O=</c> leaves), the build dir's one-line <c>Makefile</c> that includes the
    /// source tree's (Debian's and Garden Linux's <c>include /usr/src/linux-headers-&lt;k&gt;-common/Makefile</c>), or
    /// <c>/lib/modules/&lt;k&gt;/source</c>. Unsplit headers are their own source.
    /// </summary>
    private string FindSource(string release, string build)
    {
        var candidates = new[]
        {
            Rerooted(Path.Combine(build, "source")),
            IncludedMakefileDir(build),
            Rerooted(Path.Combine(sysroot, "lib", "modules", release, "source")),
        };
        return candidates.FirstOrDefault(c => c is not null && File.Exists(Path.Combine(c, "Makefile")) && Path.GetFullPath(c) != Path.GetFullPath(build))
            ?? build;
    }

    private string? IncludedMakefileDir(string build)
    {
        var makefile = Path.Combine(build, "Makefile");
        if (!File.Exists(makefile) || new FileInfo(makefile).Length > 4096)
        {
            return null; // a full kernel Makefile is large; the wrapper of split headers is a line or two
        }

        foreach (var line in File.ReadLines(makefile))
        {
            var match = IncludeLine().Match(line);
            if (match.Success)
            {
                var included = match.Groups[1].Value;
                var dir = Path.GetDirectoryName(included)!;
                return Path.IsPathRooted(dir) ? Path.Combine(sysroot, dir.TrimStart('/')) : Path.GetFullPath(Path.Combine(build, dir));
            }
        }

        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*-?include\s+(\S+/Makefile)\s*$")]
    private static partial System.Text.RegularExpressions.Regex IncludeLine();

    private string? Rerooted(string link)
    {
        var info = new DirectoryInfo(link);
        var target = info.LinkTarget;
        if (target is null)
        {
            return info.Exists ? link : null;
        }

        return Path.IsPathRooted(target)
            ? Path.Combine(sysroot, target.TrimStart('/'))
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link)!, target));
    }

    /// <summary>The Debian architecture the headers' <c>.config</c> builds for; null where it has none or another one.</summary>
    public static string? ReadArch(string headers)
    {
        var config = Path.Combine(headers, ".config");
        if (!File.Exists(config))
        {
            return null;
        }

        foreach (var line in File.ReadLines(config))
        {
            switch (line)
            {
                case "CONFIG_X86_64=y":
                    return "amd64";
                case "CONFIG_ARM64=y":
                    return "arm64";
            }
        }

        return null;
    }

    private static string? ReadRelease(string headers)
    {
        var file = Path.Combine(headers, "include", "generated", "utsrelease.h");
        if (!File.Exists(file))
        {
            return null;
        }

        // #define UTS_RELEASE "6.1.0-56-amd64"
        var text = File.ReadAllText(file);
        var start = text.IndexOf('"');
        var end = start < 0 ? -1 : text.IndexOf('"', start + 1);
        return end > start ? text[(start + 1)..end] : null;
    }
}
