using System.Security.Cryptography;
using System.Text.Json;
using Modulus.Core.Pipes;

namespace Modulus.Core.Artifacts;

/// <summary>
/// A manifest's signature (docs/store.md, "Signed manifests"): ECDSA P-256 with SHA-256 over the exact bytes of
/// manifest.json as stored (which carry the blob's SHA-256, so the signature covers the blob too), by the key whose
/// id is the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo. Stored as JSON at
/// <c>&lt;artifact&gt;/signatures/&lt;sha256 of manifest.json&gt;.json</c>, written before the manifest.
/// </summary>
public sealed record ManifestSignature(int SchemaVersion, string Algorithm, string KeyId, string ManifestSha256, string Signature)
{
    public const string EcdsaP256Sha256 = "ECDSA-P256-SHA256";

    public static ManifestSignature Sign(ReadOnlySpan<byte> manifest, ECDsa key) => new(
        1, EcdsaP256Sha256, IdOf(key), Convert.ToHexStringLower(SHA256.HashData(manifest)),
        Convert.ToBase64String(key.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));

    /// <summary>The id of the trusted key that made this signature over <paramref name="manifest"/>; throws <see cref="InvalidDataException"/> saying why not.</summary>
    public string Verify(ReadOnlySpan<byte> manifest, IReadOnlyList<ECDsa> trusted)
    {
        if (Algorithm != EcdsaP256Sha256)
        {
            throw new InvalidDataException($"it is signed with {Algorithm}; Modulus verifies {EcdsaP256Sha256}");
        }

        if (ManifestSha256 != Convert.ToHexStringLower(SHA256.HashData(manifest)))
        {
            throw new InvalidDataException($"the signature is over another manifest (sha256 {ManifestSha256})");
        }

        var key = trusted.FirstOrDefault(k => IdOf(k) == KeyId) ?? throw new InvalidDataException(
            $"it is signed by key {KeyId}, which is not among the trusted keys ({string.Join(", ", trusted.Select(IdOf))})");
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(Signature);
        }
        catch (FormatException)
        {
            throw new InvalidDataException("its signature is not base64");
        }

        return key.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
            ? KeyId
            : throw new InvalidDataException($"its signature by key {KeyId} does not verify: the manifest was changed after it was signed");
    }

    public static string IdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    public byte[] Serialize() => ProtocolJson.ToIndentedUtf8(this);

    /// <summary>The most a signature file may hold; one is about 300 bytes.</summary>
    public const int MaxBytes = 64 << 10;

    public static ManifestSignature Parse(ReadOnlySpan<byte> json, string source)
    {
        ManifestSignature? signature;
        try
        {
            signature = JsonSerializer.Deserialize(json, ProtocolJson.Info<ManifestSignature>(ProtocolJson.Options));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a signature: {e.Message}", e);
        }

        // JSON null, or an object that lacks a field, deserializes; neither is a signature.
        return signature is { Algorithm: not null, KeyId: not null, ManifestSha256: not null, Signature: not null }
            ? signature
            : throw new InvalidDataException($"{source} is not a signature: it needs schemaVersion, algorithm, keyId, manifestSha256 and signature");
    }
}
