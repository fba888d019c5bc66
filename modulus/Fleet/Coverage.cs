using Modulus.Core.Artifacts;

namespace Modulus.Fleet;

/// <summary>
/// Joins what the store holds with what the nodes need: one row per (Garden Linux version, kernel, driver version)
/// the nodes run or want, with the nodes it covers and the module types the store has for it (none: missing).
/// </summary>
internal static class Coverage
{
    public static IReadOnlyList<CoverageRow> Compute(IReadOnlyList<FleetNode> nodes, IReadOnlyList<Manifest> store, string driverName, string? wantedVersion, ModuleType? moduleType)
    {
        var rows = new List<CoverageRow>();
        foreach (var group in nodes.GroupBy(n => (n.GardenlinuxVersion, n.Kernel, Driver: wantedVersion ?? n.DriverVersion)).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal))
        {
            var (gl, kernel, driver) = group.Key;
            var names = group.Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
            var osImage = group.Select(n => n.OsImage).FirstOrDefault(i => i is not null);
            string? problem = gl is null ? $"the node reports no Garden Linux version (status.nodeInfo.osImage is {(osImage is null ? "empty" : $"\"{osImage}\"")}, and it has no os-version label)"
                : kernel is null ? "the node reports no kernel version"
                : driver is null ? "no driver version: the node has no nvidia-driver-version label, and --driver-version was not given"
                : null;
            var types = problem is not null ? [] : store
                .Where(m => m.Driver.Name == driverName && m.GardenlinuxVersion == gl && m.KernelRelease == kernel && m.Driver.Version == driver)
                .Select(m => m.Driver.ModuleType.Name()).Distinct().Order(StringComparer.Ordinal).ToList();
            var covered = problem is null && (moduleType is null ? types.Count > 0 : types.Contains(moduleType.Value.Name()));
            rows.Add(new CoverageRow(gl, kernel, driver, names.Count, names, types, covered,
                problem ?? (covered ? null : $"the store has no {driverName}-{driver}{(moduleType is null ? string.Empty : "-" + moduleType.Value.Name())} for Garden Linux {gl}, kernel {kernel}")));
        }

        return rows;
    }
}

/// <summary>One need of the fleet and whether the store meets it.</summary>
internal sealed record CoverageRow(
    string? GardenlinuxVersion, string? Kernel, string? DriverVersion, int NodeCount, IReadOnlyList<string> Nodes, IReadOnlyList<string> ModuleTypes, bool Covered, string? Missing);
