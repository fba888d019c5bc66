using System.Text.Json;
using System.Text.Json.Serialization;
using Modulus.Core.Pipes;
using Modulus.Fleet;

namespace Modulus.Commands;

/// <summary>The JSON of <c>list --json</c> and <c>coverage --json</c>: core's settings, metadata generated at build time.</summary>
internal static class CommandJson
{
    public static JsonSerializerOptions Indented { get; } = ProtocolJson.Create(CommandJsonContext.Default, indented: true);

    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => ProtocolJson.Info<T>(options);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(ListCommand.ListRow))]
[JsonSerializable(typeof(ListCommand.BrokenRow))]
[JsonSerializable(typeof(IReadOnlyList<CoverageRow>))]
internal sealed partial class CommandJsonContext : JsonSerializerContext;
