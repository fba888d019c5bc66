using System.Security.Cryptography;
using Modulus.Core.Errors;

namespace Modulus.Storage;

/// <summary>ECDSA P-256 keys in PEM: the private key that signs, the public keys that are trusted (several, for rotation).</summary>
internal static class SigningKeys
{
    public static ECDsa LoadPrivate(string path, string option)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(Read(path, option));
            _ = key.ExportParameters(includePrivateParameters: true);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidInputException($"{option} {path} holds no ECDSA private key in PEM (e.g. openssl ecparam -name prime256v1 -genkey -noout): {e.Message}");
        }

        return RequireP256(key, path, option);
    }

    /// <summary>Every public key in the PEM file, or in every *.pem file of the directory.</summary>
    public static IReadOnlyList<ECDsa> LoadPublic(string path, string option)
    {
        var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.pem").Order(StringComparer.Ordinal).ToArray() : [path];
        var keys = new List<ECDsa>();
        foreach (var file in files)
        {
            var text = Read(file, option);
            foreach (var block in text.Split("-----END PUBLIC KEY-----", StringSplitOptions.RemoveEmptyEntries).Where(b => b.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal)))
            {
                var key = ECDsa.Create();
                try
                {
                    key.ImportFromPem(block + "-----END PUBLIC KEY-----");
                }
                catch (Exception e) when (e is ArgumentException or CryptographicException)
                {
                    key.Dispose();
                    throw new InvalidInputException($"{option}: {file} holds a public key that is not ECDSA: {e.Message}");
                }

                keys.Add(RequireP256(key, file, option));
            }
        }

        return keys.Count > 0 ? keys : throw new InvalidInputException($"{option} {path} holds no PEM public key (-----BEGIN PUBLIC KEY-----)");
    }

    /// <summary>A key file: at most 64 KiB (a PEM key is a few hundred bytes), and it must exist; a dangling link says so.</summary>
    private static string Read(string path, string option)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target && info.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
        {
            throw new InvalidInputException($"{option} {path} is a link to {target}, which does not exist; remove it or point it at a PEM key");
        }

        if (!info.Exists)
        {
            throw new InvalidInputException($"{option} {path} does not exist");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        var buffer = new byte[MaxKeyFileBytes + 1];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += n;
        }

        return length <= MaxKeyFileBytes
            ? System.Text.Encoding.UTF8.GetString(buffer, 0, length)
            : throw new InvalidInputException($"{option} {path} is larger than {MaxKeyFileBytes >> 10} KiB; a PEM key file is a few hundred bytes");
    }

    private const int MaxKeyFileBytes = 64 << 10;

    /// <summary>P-256 by its curve (OID 1.2.840.10045.3.1.7), not by its size: brainpoolP256r1 is 256-bit too, and not what Modulus signs with.</summary>
    private static ECDsa RequireP256(ECDsa key, string path, string option)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (curve.IsNamed && (curve.Oid.Value == "1.2.840.10045.3.1.7" || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1"))
        {
            return key;
        }

        var name = curve.IsNamed ? curve.Oid.FriendlyName ?? curve.Oid.Value : "explicit parameters";
        var bits = key.KeySize;
        key.Dispose();
        throw new InvalidInputException($"{option} {path}: the key's curve is {name} ({bits}-bit); Modulus signs and verifies with ECDSA P-256 (prime256v1)");
    }
}
