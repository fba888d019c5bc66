using System.Text.Json.Serialization;

namespace Modulus.Core.Artifacts;

/// <summary>How an artifact is built: NVIDIA's <c>.run</c> package, or kbuild of any out-of-tree module source.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriverKind>))]
public enum DriverKind
{
    [JsonStringEnumMemberName("nvidia-runfile")]
    NvidiaRunfile,

    [JsonStringEnumMemberName("kbuild")]
    Kbuild,
}

/// <summary>The names of <see cref="DriverKind"/>.</summary>
public static class DriverKinds
{
    /// <summary>The driver name NVIDIA's runfile artifacts carry; every other name is a kbuild module set.</summary>
    public const string NvidiaName = "nvidia";

    public static string Name(this DriverKind kind) => kind == DriverKind.NvidiaRunfile ? "nvidia-runfile" : "kbuild";

    public static DriverKind Parse(string? value, string option = "--driver-kind") =>
        Validation.InputValidator.DriverKind(value, option) == "kbuild" ? DriverKind.Kbuild : DriverKind.NvidiaRunfile;

    /// <summary>The kind an artifact of this name was built with: NVIDIA's runfile for <c>nvidia</c>, kbuild for module sets.</summary>
    public static DriverKind Of(string driverName) => driverName == NvidiaName ? DriverKind.NvidiaRunfile : DriverKind.Kbuild;
}
