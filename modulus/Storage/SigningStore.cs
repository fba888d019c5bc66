using System.Security.Cryptography;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;

namespace Modulus.Storage;

/// <summary>
/// A store that signs the manifests it writes (with a signing key) and verifies the manifests it reads (with
/// trusted keys): every reader — fetch, install, list, verify, compile's skip check — gets only manifests signed by
/// a trusted key, and nothing changes for the callers. Without trusted keys manifests are read as they are; the
/// signer is still recorded when there is a signature.
/// </summary>
internal sealed class SigningStore(IArtifactStore inner, ECDsa? signingKey, IReadOnlyList<ECDsa> trustedKeys) : IArtifactStore
{
    private readonly Dictionary<string, string?> signers = new(StringComparer.Ordinal);

    public string Location => inner.Location;

    /// <summary>The id of the key this store signs with; null when it does not sign.</summary>
    public string? SigningKeyId { get; } = signingKey is null ? null : ManifestSignature.IdOf(signingKey);

    /// <summary>The key id that signed the manifest at <paramref name="manifestKey"/> when it was read (null: unsigned or not checked).</summary>
    public string? SignerOf(string manifestKey)
    {
        lock (signers)
        {
            return signers.GetValueOrDefault(manifestKey);
        }
    }

    public Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken) => inner.GetSizeAsync(key, cancellationToken);

    public Task<StoreObject?> StatAsync(string key, CancellationToken cancellationToken) => inner.StatAsync(key, cancellationToken);

    public Task TouchAsync(string key, CancellationToken cancellationToken) => inner.TouchAsync(key, cancellationToken);

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        if (!StoreLayout.IsManifestKey(key))
        {
            return await inner.OpenReadAsync(key, cancellationToken);
        }

        byte[] manifest;
        await using (var stream = await inner.OpenReadAsync(key, cancellationToken))
        {
            manifest = await ReadCappedAsync(stream, ManifestRules.MaxBytes, key, cancellationToken);
        }

        var signer = await CheckAsync(key, manifest, cancellationToken);
        lock (signers)
        {
            signers[key] = signer;
        }

        return new MemoryStream(manifest, writable: false);
    }

    public Task PutFileAsync(string key, string path, IProgress<long>? progress, CancellationToken cancellationToken) => inner.PutFileAsync(key, path, progress, cancellationToken);

    public async Task PutBytesAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (signingKey is not null && StoreLayout.IsManifestKey(key))
        {
            // The signature goes first, under the manifest's hash: a reader never sees a manifest without its signature.
            var signature = ManifestSignature.Sign(content.Span, signingKey);
            await inner.PutBytesAsync(StoreLayout.SignatureKey(key, signature.ManifestSha256), signature.Serialize(), cancellationToken);
        }

        await inner.PutBytesAsync(key, content, cancellationToken);
    }

    public Task<int> RemoveStaleWritesAsync(string prefix, TimeSpan olderThan, CancellationToken cancellationToken) => inner.RemoveStaleWritesAsync(prefix, olderThan, cancellationToken);

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public Task<IReadOnlyList<StoreObject>> ListObjectsAsync(string prefix, CancellationToken cancellationToken) => inner.ListObjectsAsync(prefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public void Dispose() => inner.Dispose();

    private async Task<string?> CheckAsync(string key, byte[] manifest, CancellationToken cancellationToken)
    {
        var signatureKey = StoreLayout.SignatureKey(key, Convert.ToHexStringLower(SHA256.HashData(manifest)));
        if (await inner.GetSizeAsync(signatureKey, cancellationToken) is null)
        {
            return trustedKeys.Count == 0
                ? null
                : throw new IntegrityException($"{Location}/{key} is not signed (no {signatureKey}), and trusted keys are configured: refusing it. Publish it with --signing-key.", key);
        }

        ManifestSignature signature;
        await using (var stream = await inner.OpenReadAsync(signatureKey, cancellationToken))
        {
            var bytes = await ReadCappedAsync(stream, ManifestSignature.MaxBytes, signatureKey, cancellationToken);
            try
            {
                signature = ManifestSignature.Parse(bytes, $"{Location}/{signatureKey}");
            }
            catch (InvalidDataException e)
            {
                throw new IntegrityException($"refusing {Location}/{key}: {e.Message}", key);
            }
        }

        if (trustedKeys.Count == 0)
        {
            return signature.KeyId + " (not verified: no trusted keys)";
        }

        try
        {
            return signature.Verify(manifest, trustedKeys);
        }
        catch (InvalidDataException e)
        {
            throw new IntegrityException($"refusing {Location}/{key}: {e.Message}", key);
        }
    }

    /// <summary>A manifest or signature read with its cap: a huge one, or one linked to an endless file, is refused, not held in memory.</summary>
    private async Task<byte[]> ReadCappedAsync(Stream stream, int limit, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await Core.Files.BoundedRead.ReadAllAsync(stream, limit, $"{Location}/{key}", cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new IntegrityException(e.Message, key);
        }
    }
}
