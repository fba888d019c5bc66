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

    private static string Read(string path, string option) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new InvalidInputException($"{option} {path} does not exist");

    private static ECDsa RequireP256(ECDsa key, string path, string option) =>
        key.KeySize == 256 ? key : throw new InvalidInputException($"{option} {path}: the key is {key.KeySize}-bit; Modulus signs with ECDSA P-256");
}
