using Modulus.Core.Errors;

namespace Modulus.Install;

/// <summary>
/// Parses <c>--module-parameters</c>: space- or comma-separated <c>module.param=value</c> items, e.g.
/// <c>nvidia.NVreg_EnableGpuFirmware=0 nvidia_uvm.uvm_perf_prefetch_enable=0</c>.
/// </summary>
internal static class ModuleParameters
{
    public static IReadOnlyDictionary<string, string> Parse(string? value)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var item in (value ?? string.Empty).Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var dot = item.IndexOf('.');
            var eq = item.IndexOf('=');
            if (dot <= 0 || eq < dot + 2 || item.Any(c => char.IsControl(c) || c is '"' or '\'' or '\\'))
            {
                throw new InvalidInputException($"--module-parameters item '{item}' is not valid: expected module.parameter=value, e.g. nvidia.NVreg_EnableGpuFirmware=0");
            }

            var module = item[..dot].Replace('-', '_');
            if (!result.TryGetValue(module, out var list))
            {
                result[module] = list = [];
            }

            list.Add(item[(dot + 1)..]);
        }

        return result.ToDictionary(p => p.Key, p => string.Join(' ', p.Value), StringComparer.Ordinal);
    }

    /// <summary><paramref name="parameters"/> with <c>module.name=value</c> added, unless the module's parameters set <paramref name="name"/> already.</summary>
    public static IReadOnlyDictionary<string, string> WithDefault(IReadOnlyDictionary<string, string> parameters, string module, string name, string value)
    {
        var given = parameters.GetValueOrDefault(module, string.Empty);
        if (given.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(p => p.StartsWith(name + "=", StringComparison.Ordinal)))
        {
            return parameters;
        }

        var result = new Dictionary<string, string>(parameters, StringComparer.Ordinal) { [module] = given.Length == 0 ? $"{name}={value}" : $"{given} {name}={value}" };
        return result;
    }
}
