using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Storage;

/// <summary>Signed manifests: publish signs, every reader with trusted keys refuses what a trusted key did not sign.</summary>
public sealed class SignedManifestIntegrationTests(S3rverServer s3, CompiledNvidiaArtifact artifact)
    : IClassFixture<S3rverServer>, IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string ManifestKey => $"{artifact.ArtifactPath}/manifest.json";

    /// <summary>A new P-256 key: its private PEM file, its public PEM file, and its key id.</summary>
    private (string Private, string Public, string Id) NewKey(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var priv = dir.Combine(name + ".key");
        var pub = dir.Combine(name + ".pem");
        File.WriteAllText(priv, key.ExportECPrivateKeyPem());
        File.WriteAllText(pub, key.ExportSubjectPublicKeyInfoPem());
        return (priv, pub, ManifestSignature.IdOf(key));
    }

    private async Task<StoreTarget> PublishAsync(string kind, string? signingKey)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        string[] sign = signingKey is null ? [] : ["--signing-key", signingKey];
        var (code, run) = await store.ModulusAsync(["publish", "--from", artifact.CopyTo(dir.Combine($"publish-{Guid.NewGuid():N}")), .. sign]);
        code.Should().Be(0, run.Output);
        return store;
    }

    private string[] Fetch(params string[] extra) =>
        ["fetch", "--driver-version", CompiledNvidiaArtifact.Version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux, "--kernel-version", KernelUnderTest.Release,
         "--module-type", "open", "--to", dir.Combine($"to-{Guid.NewGuid():N}"), .. extra];

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_manifest_signed_by_a_trusted_key_is_fetched_and_list_and_verify_show_its_signer(string kind)
    {
        var key = NewKey("a");
        var store = await PublishAsync(kind, key.Private);

        var (code, run) = await store.ModulusAsync(Fetch("--trusted-keys", key.Public));
        var (listed, list) = await store.ModulusAsync("list", "--json", "--trusted-keys", key.Public);
        var (verified, verify) = await store.ModulusAsync("verify", "--trusted-keys", key.Public);

        code.Should().Be(0, run.Output);
        listed.Should().Be(0, list.Output);
        ((string?)JsonNode.Parse(list.Stdout)!.AsArray()[0]!["signer"]).Should().Be(key.Id);
        verified.Should().Be(0, verify.Output);
        verify.Stdout.Should().Contain($"(signed by {key.Id})");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_manifest_changed_after_signing_is_refused_even_with_the_old_signature_copied_beside_it()
    {
        var key = NewKey("a");
        var store = await PublishAsync("file", key.Private);
        var path = store.BackingFile(ManifestKey);
        var original = await File.ReadAllBytesAsync(path);
        var forged = JsonNode.Parse(original)!;
        forged["files"]![0]!["sha256"] = new string('f', 64);
        var forgedBytes = System.Text.Encoding.UTF8.GetBytes(forged.ToJsonString());
        await File.WriteAllBytesAsync(path, forgedBytes);

        var (unsigned, plain) = await store.ModulusAsync(Fetch("--trusted-keys", key.Public));
        unsigned.Should().Be(1, plain.Output);
        plain.Stderr.Should().Contain("is not signed (no ").And.Contain("trusted keys are configured: refusing it");

        var signatures = Path.Combine(Path.GetDirectoryName(path)!, "signatures");
        File.Copy(Path.Combine(signatures, Convert.ToHexStringLower(SHA256.HashData(original)) + ".json"),
            Path.Combine(signatures, Convert.ToHexStringLower(SHA256.HashData(forgedBytes)) + ".json"));
        var (copied, again) = await store.ModulusAsync(Fetch("--trusted-keys", key.Public));
        copied.Should().Be(1, again.Output);
        again.Stderr.Should().Contain("the signature is over another manifest");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_signature_over_a_manifest_naming_a_different_blob_does_not_vouch_for_this_one()
    {
        var key = NewKey("a");
        var store = await PublishAsync("file", key.Private);
        var path = store.BackingFile(ManifestKey);
        var signed = JsonNode.Parse(await File.ReadAllBytesAsync(path))!;
        var signatureFile = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(path)!, "signatures")).Single();
        var signature = JsonNode.Parse(await File.ReadAllBytesAsync(signatureFile))!;
        signed["blob"]!["sha256"] = new string('e', 64);
        var other = System.Text.Encoding.UTF8.GetBytes(signed.ToJsonString());
        await File.WriteAllBytesAsync(path, other);
        signature["manifestSha256"] = Convert.ToHexStringLower(SHA256.HashData(other)); // claim to be about it
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(signatureFile)!, Convert.ToHexStringLower(SHA256.HashData(other)) + ".json"), signature.ToJsonString());

        var (code, run) = await store.ModulusAsync(Fetch("--trusted-keys", key.Public));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain($"its signature by key {key.Id} does not verify: the manifest was changed after it was signed");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_manifest_signed_by_another_key_is_refused_and_one_of_several_trusted_keys_is_enough_for_rotation()
    {
        var old = NewKey("old");
        var next = NewKey("next");
        var stranger = NewKey("stranger");
        var store = await PublishAsync("file", old.Private);
        var trusted = dir.Combine("trusted");
        Directory.CreateDirectory(trusted);
        File.Copy(old.Public, Path.Combine(trusted, "old.pem"));
        File.Copy(next.Public, Path.Combine(trusted, "next.pem"));

        var (rotated, run) = await store.ModulusAsync(Fetch("--trusted-keys", trusted));
        var (wrong, refused) = await store.ModulusAsync(Fetch("--trusted-keys", stranger.Public));
        var resigned = await PublishAsync("file", next.Private);
        var (renewed, again) = await resigned.ModulusAsync(Fetch("--trusted-keys", trusted));

        rotated.Should().Be(0, "signed by the old key, which is still trusted: " + run.Output);
        wrong.Should().Be(1, refused.Output);
        refused.Stderr.Should().Contain($"it is signed by key {old.Id}, which is not among the trusted keys ({stranger.Id})");
        renewed.Should().Be(0, "signed by the new key: " + again.Output);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Unsigned_artifacts_are_fetched_without_trusted_keys_and_refused_by_install_with_them()
    {
        var key = NewKey("a");
        var store = await PublishAsync("file", signingKey: null);
        Directory.CreateDirectory(dir.Combine("host", "proc", "sys", "kernel"));
        await File.WriteAllTextAsync(dir.Combine("host", "proc", "sys", "kernel", "osrelease"), KernelUnderTest.Release + "\n"); // the node runs the kernel the artifact is for

        var (plain, run) = await store.ModulusAsync(Fetch());
        var (install, refused) = await store.ModulusAsync("install", "--driver-version", CompiledNvidiaArtifact.Version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux,
            "--module-type", "open", "--host-root", dir.Combine("host"), "--cache-dir", dir.Combine("cache"),
            "--skip-gpu-check", "--trusted-keys", key.Public);

        plain.Should().Be(0, run.Output);
        install.Should().Be(1, refused.Output);
        refused.Stderr.Should().Contain("is not signed").And.Contain("refusing it");
        Directory.Exists(dir.Combine("cache", CompiledNvidiaArtifact.Gardenlinux)).Should().BeFalse("nothing was fetched, nothing loaded");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_missing_or_malformed_key_file_is_an_input_error()
    {
        var bad = dir.Combine("bad.pem");
        await File.WriteAllTextAsync(bad, "not a key");

        var (missing, run) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "file://" + dir.Path, "--trusted-keys", dir.Combine("none.pem")]);
        var (malformed, again) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "file://" + dir.Path, "--signing-key", bad]);

        missing.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("--trusted-keys").And.Contain("does not exist");
        malformed.Should().Be(2, again.Output);
        again.Stderr.Should().Contain("holds no ECDSA private key in PEM");
    }
}
