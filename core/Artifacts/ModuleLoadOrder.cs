namespace Modulus.Core.Artifacts;

/// <summary>
/// Orders modules so that each comes after the modules of the set it depends on (modinfo <c>depends</c>);
/// among modules free to go, NVIDIA's customary order first, then by name.
/// </summary>
public static class ModuleLoadOrder
{
    private static readonly string[] NvidiaOrder = ["nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm", "nvidia_peermem"];

    public static IReadOnlyList<T> Sort<T>(IReadOnlyCollection<T> modules, Func<T, string> name, Func<T, IReadOnlyList<string>> depends)
    {
        var byName = modules.ToDictionary(name);
        var pending = modules.ToDictionary(name, m => depends(m).Where(byName.ContainsKey).ToHashSet());
        var ordered = new List<T>();
        while (pending.Count > 0)
        {
            var next = pending.Where(p => p.Value.Count == 0).Select(p => p.Key)
                .OrderBy(Rank).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault()
                ?? throw new InvalidDataException(
                    $"the modules {string.Join(", ", pending.Keys.Order(StringComparer.Ordinal))} depend on each other in a cycle");
            ordered.Add(byName[next]);
            pending.Remove(next);
            foreach (var rest in pending.Values)
            {
                rest.Remove(next);
            }
        }

        return ordered;
    }

    private static int Rank(string name)
    {
        var i = Array.IndexOf(NvidiaOrder, name);
        return i < 0 ? NvidiaOrder.Length : i;
    }
}
