using System.Text.Json;
using System.Text.Json.Serialization;
using Modulus.Core.Pipes;

namespace Modulus.Install;

/// <summary>The JSON of the install's record and of <c>status --json</c>: core's settings, metadata generated at build time.</summary>
internal static class InstallJson
{
    public static JsonSerializerOptions Options { get; } = ProtocolJson.Create(InstallJsonContext.Default, indented: false);

    public static JsonSerializerOptions Indented { get; } = ProtocolJson.Create(InstallJsonContext.Default, indented: true);

    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => ProtocolJson.Info<T>(options);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InstallState))]
[JsonSerializable(typeof(NodeStatus))]
internal sealed partial class InstallJsonContext : JsonSerializerContext;
