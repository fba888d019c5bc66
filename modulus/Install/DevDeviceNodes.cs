using System.Globalization;

namespace Modulus.Install;

/// <summary>The real <c>&lt;host-root&gt;/dev</c> and <c>&lt;host-root&gt;/proc/devices</c>.</summary>
internal sealed class DevDeviceNodes(string hostRoot) : IDeviceNodes
{
    public IReadOnlyDictionary<string, int> CharacterMajors()
    {
        var majors = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = Path.Combine(hostRoot, "proc", "devices");
        if (!File.Exists(path))
        {
            return majors;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Block devices", StringComparison.Ordinal))
            {
                break;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major))
            {
                majors.TryAdd(parts[1], major);
            }
        }

        return majors;
    }

    public bool Exists(string name) => File.Exists(Path.Combine(hostRoot, "dev", name));

    public void Create(string name, int major, int minor)
    {
        var path = Path.Combine(hostRoot, "dev", name);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        NativeKernel.MakeCharacterDevice(path, major, minor);
    }
}
