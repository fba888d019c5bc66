using System.Text.Json.Serialization;
using Modulus.Core.Errors;

namespace Modulus.Core.Artifacts;

/// <summary>Which of NVIDIA's kernel module flavours an artifact holds; in names, paths and JSON: <c>open</c>, <c>proprietary</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModuleType>))]
public enum ModuleType
{
    [JsonStringEnumMemberName("open")]
    Open,

    [JsonStringEnumMemberName("proprietary")]
    Proprietary,
}

/// <summary>The names of <see cref="ModuleType"/>, and the <c>--module-type</c> choice with <c>auto</c>.</summary>
public static class ModuleTypes
{
    public const string Auto = "auto";

    public static string Name(this ModuleType type) => type == ModuleType.Open ? "open" : "proprietary";

    /// <summary>"open" or "proprietary"; anything else (auto included) is exit 2 naming <paramref name="option"/>.</summary>
    public static ModuleType Parse(string? value, string option = "--module-type") => value switch
    {
        "open" => ModuleType.Open,
        "proprietary" => ModuleType.Proprietary,
        _ => throw new InvalidInputException($"{option} '{value}' is not valid: expected open or proprietary"),
    };

    /// <summary>"auto" (null), "open" or "proprietary".</summary>
    public static ModuleType? ParseChoice(string? value, string option = "--module-type") => Validation.InputValidator.ModuleType(value, option) switch
    {
        Auto => null,
        "open" => ModuleType.Open,
        _ => ModuleType.Proprietary,
    };
}
