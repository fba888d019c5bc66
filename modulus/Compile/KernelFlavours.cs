using System.Text.RegularExpressions;
using Modulus.Core.Errors;

namespace Modulus.Compile;

/// <summary>
/// A kernel's flavour as its release names it, the way Garden Linux and Debian build them: <c>6.12.47-cloud-amd64</c>
/// and <c>6.12.117+deb13-cloud-amd64</c> are <c>cloud</c>, <c>6.12.47-firecracker-amd64</c> is <c>firecracker</c>,
/// <c>6.12.72-amd64</c> and <c>6.1.0-57-amd64</c> are <c>default</c>, which Garden Linux's own installer calls
/// <c>metal</c> (accepted as its synonym).
/// </summary>
internal static partial class KernelFlavours
{
    public const string Default = "default";

    public static string Of(string release)
    {
        var match = ArchSuffix().Match(release);
        if (!match.Success)
        {
            return Default;
        }

        var rest = match.Groups["rest"].Value;
        var dash = rest.LastIndexOf('-');
        var last = dash < 0 ? string.Empty : rest[(dash + 1)..];
        return Name().IsMatch(last) ? last : Default;
    }

    /// <summary><c>default,cloud</c> as given to <c>--kernel-flavours</c> (<c>metal</c> means default); null or empty: all.</summary>
    public static IReadOnlyList<string>? Parse(string? value, string option = "--kernel-flavours")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var flavours = new List<string>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var flavour = part.ToLowerInvariant();
            if (!Name().IsMatch(flavour))
            {
                throw new InvalidInputException($"{option} '{value}': '{part}' is not a kernel flavour; expected names such as default,cloud (letters and digits, comma-separated)");
            }

            flavour = flavour == "metal" ? Default : flavour;
            if (!flavours.Contains(flavour))
            {
                flavours.Add(flavour);
            }
        }

        return flavours.Count == 0 ? null : flavours;
    }

    [GeneratedRegex(@"^(?<rest>.+)-(amd64|arm64)$")]
    private static partial Regex ArchSuffix();

    [GeneratedRegex(@"^[a-z][a-z0-9]*$")]
    private static partial Regex Name();
}
