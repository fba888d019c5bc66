using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Modulus.Core.Pipes;

/// <summary>JSON settings shared by the protocol, the ready file and the manifest: camelCase, nulls omitted, one line.</summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        // Compiler output is full of quotes and '+'; nothing here is ever embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };

    public static string ToLine<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? FromLine<T>(string line) => JsonSerializer.Deserialize<T>(line, Options);
}
