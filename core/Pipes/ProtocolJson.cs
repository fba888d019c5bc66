using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Modulus.Core.Artifacts;

namespace Modulus.Core.Pipes;

/// <summary>
/// JSON settings shared by the protocol, the ready file and the manifest: camelCase, nulls omitted, one line. The
/// metadata is source-generated (<see cref="CoreJsonContext"/>, and the contexts other assemblies pass to
/// <see cref="Create"/>): no reflection, so the published binary can be compiled ahead of time.
/// </summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Create(CoreJsonContext.Default, indented: false);

    public static JsonSerializerOptions Indented { get; } = Create(CoreJsonContext.Default, indented: true);

    /// <summary>The same settings for the types of <paramref name="resolver"/> (another assembly's context) and core's.</summary>
    public static JsonSerializerOptions Create(IJsonTypeInfoResolver resolver, bool indented) => new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = indented,
        // Compiler output is full of quotes and '+'; nothing here is ever embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(resolver, CoreJsonContext.Default),
    };

    /// <summary>The generated metadata of <typeparamref name="T"/> under <paramref name="options"/>; a type no context lists fails here, naming it.</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => options.GetTypeInfo<T>();

    public static string ToLine<T>(T value) => JsonSerializer.Serialize(value, Info<T>(Options));

    public static T? FromLine<T>(string line) => JsonSerializer.Deserialize(line, Info<T>(Options));

    /// <summary><paramref name="value"/> as indented UTF-8 JSON (files people read: manifests, records, <c>--json</c> output).</summary>
    public static byte[] ToIndentedUtf8<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Info<T>(Indented));
}

/// <summary>Every type core serializes, its JSON metadata generated at build time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ManifestSignature))]
[JsonSerializable(typeof(Request))]
[JsonSerializable(typeof(Response))]
[JsonSerializable(typeof(ReadyInfo))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
