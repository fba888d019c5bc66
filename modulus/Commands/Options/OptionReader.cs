using System.CommandLine;
using Modulus.Core.Errors;
using Modulus.Core.Validation;

namespace Modulus.Commands.Options;

/// <summary>
/// Typed readers for option values, each with its check and a message that names the option: every command and
/// option group reads through these, so a rule is written once.
/// </summary>
internal static class OptionReader
{
    /// <summary>Seconds within (0, <paramref name="max"/>], or [0, max] with <paramref name="allowZero"/>.</summary>
    public static TimeSpan Seconds(this ParseResult parsed, Option<double> option, double max, bool allowZero = false)
    {
        var value = parsed.GetValue(option);
        return (allowZero ? value >= 0 : value > 0) && value <= max
            ? TimeSpan.FromSeconds(value)
            : throw new InvalidInputException($"{option.Name} {value} is not valid: expected seconds, {(allowZero ? "0" : "more than 0")} to {max}");
    }

    /// <summary>A whole number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int Count(this ParseResult parsed, Option<int> option, int min, int max)
    {
        var value = parsed.GetValue(option);
        return value >= min && value <= max ? value : throw new InvalidInputException($"{option.Name} {value} is not valid: expected {min} to {max}");
    }

    /// <summary>A directory path with a default, made absolute.</summary>
    public static string FullDirectory(this ParseResult parsed, Option<string> option) =>
        Path.GetFullPath(InputValidator.Directory(parsed.GetValue(option), option.Name));

    /// <summary>A directory path, made absolute; null when not given.</summary>
    public static string? FullDirectoryOrNull(this ParseResult parsed, Option<string?> option) =>
        parsed.GetValue(option) is { } value ? Path.GetFullPath(InputValidator.Directory(value, option.Name)) : null;

    /// <summary>An absolute file path as the process that opens it sees it; null when not given.</summary>
    public static string? AbsolutePath(this ParseResult parsed, Option<string?> option) =>
        parsed.GetValue(option) is { } value ? InputValidator.AbsolutePath(value, option.Name) : null;

    /// <summary>A value checked by <paramref name="check"/> (an <see cref="InputValidator"/> rule taking the option's name); null when not given.</summary>
    public static string? Checked(this ParseResult parsed, Option<string?> option, Func<string, string, string> check) =>
        parsed.GetValue(option) is { } value ? check(value, option.Name) : null;
}
