namespace Modulus.Install;

/// <summary>
/// The kernel's own modules on this node, from <c>&lt;host-root&gt;/lib/modules/&lt;kernel&gt;/modules.dep</c> and
/// <c>modules.builtin</c> (depmod's output, present on every node): where each in-tree module is and what it needs,
/// so that the artifact's in-tree dependencies (drm, drm_kms_helper, video, …) load first without kmod tools.
/// </summary>
internal sealed class HostModuleIndex
{
    /// <summary>Each module's line of modules.dep and where its colon is; its dependencies are read when it is visited.</summary>
    private readonly Dictionary<string, (string Line, int Colon)> modules = new(StringComparer.Ordinal);
    private readonly HashSet<string> builtIn = new(StringComparer.Ordinal);

    public HostModuleIndex(string hostRoot, string kernelRelease)
    {
        Directory = Path.Combine(hostRoot, "lib", "modules", kernelRelease);
        var dep = Path.Combine(Directory, "modules.dep");
        if (File.Exists(dep))
        {
            // kernel/drivers/gpu/drm/drm_kms_helper.ko: kernel/drivers/gpu/drm/drm.ko kernel/drivers/i2c/i2c-core.ko
            // A node's modules.dep has thousands of lines and install needs a handful: only the names are made here.
            foreach (var line in File.ReadLines(dep))
            {
                var colon = line.IndexOf(':');
                if (colon > 0)
                {
                    modules.TryAdd(NameOf(line.AsSpan(0, colon)), (line, colon));
                }
            }
        }

        var builtin = Path.Combine(Directory, "modules.builtin");
        if (File.Exists(builtin))
        {
            builtIn.UnionWith(File.ReadLines(builtin).Where(l => l.Length > 0).Select(NameOf));
        }
    }

    /// <summary><c>&lt;host-root&gt;/lib/modules/&lt;kernel&gt;</c>.</summary>
    public string Directory { get; }

    public bool IsBuiltIn(string name) => builtIn.Contains(name);

    public bool Contains(string name) => modules.ContainsKey(name) || builtIn.Contains(name);

    /// <summary>
    /// The in-tree modules to load for <paramref name="name"/>, dependencies first, ending with the module itself;
    /// built-ins are left out (they are always there). Null when the index does not know the module.
    /// </summary>
    public IReadOnlyList<(string Name, string Path)>? LoadOrder(string name)
    {
        if (builtIn.Contains(name))
        {
            return [];
        }

        if (!modules.ContainsKey(name))
        {
            return null;
        }

        var order = new List<(string Name, string Path)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Visit(name);
        return order;

        void Visit(string module)
        {
            if (!seen.Add(module) || builtIn.Contains(module) || !modules.TryGetValue(module, out var entry))
            {
                return;
            }

            foreach (var dependency in entry.Line[(entry.Colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Visit(NameOf(dependency));
            }

            order.Add((module, Path.Combine(Directory, entry.Line[..entry.Colon])));
        }
    }

    /// <summary>kernel/drivers/gpu/drm/drm_kms_helper.ko(.xz|.zst|.gz) → drm_kms_helper.</summary>
    public static string NameOf(string path) => NameOf(path.AsSpan());

    private static string NameOf(ReadOnlySpan<char> path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        foreach (var suffix in (ReadOnlySpan<string>)[".xz", ".zst", ".gz"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name = name[..^suffix.Length];
            }
        }

        return (name.EndsWith(".ko", StringComparison.Ordinal) ? name[..^3] : name).ToString().Replace('-', '_');
    }
}
