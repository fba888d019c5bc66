namespace Modulus.Tests.Fixtures;

/// <summary>A throw-away RSA module signing key and self-signed certificate (code signing), made with openssl.</summary>
public static class ModuleSigningKey
{
    public const string CommonName = "Modulus test signing key";

    public static async Task<(string Key, string Cert)> CreateAsync(string dir)
    {
        Directory.CreateDirectory(dir);
        var key = Path.Combine(dir, "signing_key.pem");
        var cert = Path.Combine(dir, "signing_cert.pem");
        var (code, run) = await ChildProcess.RunAsync("openssl", ["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", $"/CN={CommonName}/",
            "-addext", "extendedKeyUsage=codeSigning", "-keyout", key, "-out", cert, "-days", "2"]);
        code.Should().Be(0, run.Output);
        return (key, cert);
    }
}
