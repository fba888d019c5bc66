using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>Secure Boot: compile signs every module with the headers' sign-file; openssl and modinfo agree.</summary>
public sealed class ModuleSigningIntegrationTests : IDisposable
{
    private const string Magic = "~Module signature appended~\n";
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Every_module_is_signed_after_stripping_in_the_kernels_format_and_the_manifest_records_the_signer()
    {
        var (key, cert) = await ModuleSigningKey.CreateAsync(dir.Combine("keys"));
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", "999.1.2",
            "--gardenlinux-version", "1877.3", "--module-type", "open", "--cache-dir", dir.Combine("cache"), "--module-signing-key", key, "--module-signing-cert", cert]);

        code.Should().Be(0, run.Output);
        var entry = Path.Combine(dir.Combine("cache"), "1877.3", KernelUnderTest.Release, "nvidia-999.1.2-open-amd64");
        var manifest = await ManifestFile.ReadAsync(entry, CancellationToken.None);
        manifest.Build.ModuleSigner.Should().StartWith($"CN={ModuleSigningKey.CommonName}, sha256 ");
        manifest.Build.ModulesStripped.Should().BeTrue();
        run.Stdout.Should().Contain("modules signed by: CN=" + ModuleSigningKey.CommonName);
        manifest.Modules.Should().HaveCount(4);
        foreach (var module in manifest.Modules)
        {
            var path = Path.Combine(entry, module.Path);
            (await Modinfo(path, "signer")).Should().Be(ModuleSigningKey.CommonName, module.Name);
            (await Modinfo(path, "sig_hashalgo")).Should().Be("sha256");
            await VerifyWithOpensslAsync(path, cert);
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_key_without_its_certificate_is_an_input_error()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-version", "999.1.2", "--gardenlinux-version", "1877.3",
            "--cache-dir", dir.Combine("cache"), "--module-signing-key", "/etc/modulus/signing_key.pem"]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("--module-signing-key and --module-signing-cert go together");
    }

    /// <summary>Splits the appended signature off as the kernel does and has openssl verify it against the certificate.</summary>
    private async Task VerifyWithOpensslAsync(string module, string cert)
    {
        var bytes = await File.ReadAllBytesAsync(module);
        System.Text.Encoding.ASCII.GetString(bytes[^Magic.Length..]).Should().Be(Magic);
        var end = bytes.Length - Magic.Length;
        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(end - 4, 4)); // struct module_signature.sig_len
        var signature = dir.Combine(Path.GetFileName(module) + ".p7s");
        var content = dir.Combine(Path.GetFileName(module) + ".content");
        await File.WriteAllBytesAsync(signature, bytes[(end - 12 - length)..(end - 12)]);
        await File.WriteAllBytesAsync(content, bytes[..(end - 12 - length)]);

        var (code, run) = await ChildProcess.RunAsync("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", content,
            "-certfile", cert, "-CAfile", cert, "-purpose", "any", "-out", "/dev/null"]);

        code.Should().Be(0, run.Output);
        run.Output.Should().Contain("Verification successful");
    }

    private static async Task<string> Modinfo(string module, string field)
    {
        var (code, run) = await ChildProcess.RunAsync("/sbin/modinfo", ["-F", field, module]);
        code.Should().Be(0, run.Output);
        return run.Stdout.Trim();
    }
}
