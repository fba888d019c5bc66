using System.Text.RegularExpressions;
using Modulus.Core.Errors;

namespace Modulus.Core.Validation;

/// <summary>Checks user input before any work; a bad value raises <see cref="InvalidInputException"/> (exit 2).</summary>
public static partial class InputValidator
{
    public static string DriverVersion(string? value, string option = "--driver-version") =>
        Check(value, option, VersionPattern(), "a version like 550.127.08 (digits and dots: N.N or N.N.N)");

    public static string GardenlinuxVersion(string? value, string option = "--gardenlinux-version") =>
        Check(value, option, VersionPattern(), "a Garden Linux version like 1592.3 (N.N or N.N.N)");

    public static string KernelRelease(string? value, string option = "--kernel-version") =>
        Check(value, option, KernelPattern(), "a kernel release like 6.6.62-cloud-amd64 (letters, digits and . _ + ~ -)");

    public static string Arch(string? value, string option = "--arch") =>
        Check(value, option, ArchPattern(), "amd64 or arm64");

    public static string DriverName(string? value, string option = "--driver-name") =>
        Check(value, option, NamePattern(), "a name like nvidia or my-modules (lower-case letters, digits, '.', '_', '-'; at most 64)");

    public static string ModuleType(string? value, string option = "--module-type") =>
        Check(value, option, ModuleTypePattern(), "auto, open or proprietary");

    public static string DriverKind(string? value, string option = "--driver-kind") =>
        Check(value, option, KindPattern(), "nvidia-runfile or kbuild");

    public static string Sha256(string? value, string option = "--driver-source-sha256") =>
        Check(value, option, Sha256Pattern(), "a SHA-256 checksum: 64 hex digits").ToLowerInvariant();

    /// <summary>A driver source as dev-builder resolves it: an absolute path, or a file://, http:// or https:// URI.</summary>
    public static string DriverSource(string value, string option = "--driver-source")
    {
        var ok = value.Length is > 0 and <= 4096 && !value.Any(char.IsControl) &&
            (value.StartsWith('/') || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "file" or "http" or "https" && (uri.Scheme != "file" || uri.LocalPath.StartsWith('/'))));
        return ok ? value : throw new InvalidInputException(
            $"{option} '{Printable(value)}' is not valid: expected an absolute path or a file://, http:// or https:// URI, as the dev container sees it");
    }

    /// <summary>An absolute path to a file, as the process that opens it sees it (no URI: nothing downloads it).</summary>
    public static string AbsolutePath(string value, string option) =>
        value.Length is > 1 and <= 4096 && value.StartsWith('/') && !value.Any(char.IsControl)
            ? value
            : throw new InvalidInputException($"{option} '{Printable(value)}' is not valid: expected an absolute path, as the dev container sees it");

    /// <summary>A directory option that must name something: not empty, no control characters.</summary>
    public static string Directory(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidInputException($"{option} is required: expected a directory");
        }

        return value.Any(char.IsControl)
            ? throw new InvalidInputException($"{option} '{Printable(value)}' is not valid: expected a directory path")
            : value;
    }

    /// <summary>The arch Modulus uses for the machine it runs on.</summary>
    public static string HostArch() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var other => throw new InvalidInputException($"this machine's architecture {other} is not supported; Modulus builds for amd64 and arm64"),
    };

    private static string Check(string? value, string option, Regex pattern, string expected)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidInputException($"{option} is required: expected {expected}");
        }

        return pattern.IsMatch(value)
            ? value
            : throw new InvalidInputException($"{option} '{Printable(value)}' is not valid: expected {expected}");
    }

    private static string Printable(string value) =>
        new([.. value.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);

    // ASCII digits only ([0-9], not \d, which takes any Unicode digit) and bounded lengths.
    [GeneratedRegex(@"^[0-9]{1,9}\.[0-9]{1,9}(\.[0-9]{1,9})?\z")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^[0-9A-Za-z][0-9A-Za-z._+~-]{0,127}\z")]
    private static partial Regex KernelPattern();

    [GeneratedRegex(@"^[0-9A-Fa-f]{64}\z")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex(@"^(amd64|arm64)\z")]
    private static partial Regex ArchPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(auto|open|proprietary)\z")]
    private static partial Regex ModuleTypePattern();

    [GeneratedRegex(@"^(nvidia-runfile|kbuild)\z")]
    private static partial Regex KindPattern();
}
