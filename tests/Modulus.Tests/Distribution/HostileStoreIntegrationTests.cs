using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Artifacts;
using Modulus.Distribution;
using Modulus.Storage;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Distribution;

/// <summary>
/// What someone who can write the store (but lacks the signing key) tried in the third red-team round (issue 22):
/// each store-side attack reproduced, and each now refused with a reason or harmless.
/// </summary>
public sealed class HostileStoreIntegrationTests(S3rverServer s3, CompiledNvidiaArtifact artifact)
    : IClassFixture<S3rverServer>, IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string ManifestKey => $"{artifact.ArtifactPath}/manifest.json";

    private Task<string> VariantAsync(int variant) => artifact.VariantAsync(dir.Combine($"variant-{variant}-{Guid.NewGuid():N}"), variant);

    private async Task<StoreTarget> PublishedAsync(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var (code, run) = await store.ModulusAsync("publish", "--from", artifact.CopyTo(dir.Combine($"publish-{Guid.NewGuid():N}")));
        code.Should().Be(0, run.Output);
        return store;
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_republish_that_reuses_an_old_blob_while_gc_reads_the_manifests_keeps_its_blob()
    {
        var root = dir.Combine("store");
        using var files = new FileStore(root);
        var first = await VariantAsync(1);
        var blob1 = (await new Publisher(files, NullLogger.Instance).PublishAsync(first, CancellationToken.None)).Blob!.Key;
        await new Publisher(files, NullLogger.Instance).PublishAsync(await VariantAsync(2), CancellationToken.None);
        File.SetLastWriteTimeUtc(Path.Combine(root, blob1), DateTime.UtcNow.AddDays(-2));

        // While gc reads the manifest that names blob 2, the first content is published again: its blob is there, so it is not uploaded.
        using var racing = new RacingStore(files, () => new Publisher(files, NullLogger.Instance).PublishAsync(first, CancellationToken.None));
        var removed = await new GarbageCollector(racing, NullLogger.Instance).CollectAsync(TimeSpan.FromHours(24), dryRun: false, CancellationToken.None);

        racing.Fired.Should().BeTrue("the republish ran while gc read the manifests");
        File.Exists(Path.Combine(root, blob1)).Should().BeTrue("the committed manifest names it again");
        removed.Select(r => r.Key).Should().NotContain(blob1);
        var manifest = await new Fetcher(files, NullLogger.Instance).ReadManifestAsync(ManifestKey, CancellationToken.None);
        manifest.Blob!.Key.Should().Be(blob1);
        await new Fetcher(files, NullLogger.Instance).FetchAsync(manifest, dir.Path, "fetched", CancellationToken.None);
        File.Exists(dir.Combine("fetched", "manifest.json")).Should().BeTrue();
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_reused_blob_starts_its_grace_period_again(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var copy = await VariantAsync(1);
        var (published, first) = await store.ModulusAsync("publish", "--from", copy);
        published.Should().Be(0, first.Output);
        var blobKey = (await ManifestFile.ReadAsync(copy, CancellationToken.None)).Blob!.Key;
        var before = File.GetLastWriteTimeUtc(store.BackingFile(blobKey));
        await UntilClockPassesAsync(before);

        var (again, run) = await store.ModulusAsync("publish", "--from", copy);

        again.Should().Be(0, run.Output);
        File.GetLastWriteTimeUtc(store.BackingFile(blobKey)).Should().BeAfter(before, "gc's grace period counts from the blob's last use");
        // s3rver cannot copy an object onto itself (it does not decode the %2F of x-amz-copy-source and answers
        // NoSuchBucket), so there the fallback runs: the blob goes up again, which restarts its age as well.
        run.Stderr.Should().Contain(kind == "file" ? "not uploading it again (its gc grace period starts again now)" : "uploading it again instead");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("""{"schemaVersion":1}""")]
    public async Task A_malformed_signature_is_one_broken_entry_not_a_crash(string json)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pub = dir.Combine("trusted.pem");
        await File.WriteAllTextAsync(pub, key.ExportSubjectPublicKeyInfoPem());
        var store = await PublishedAsync("file");
        var manifest = await File.ReadAllBytesAsync(store.BackingFile(ManifestKey));
        await store.PutAsync($"{artifact.ArtifactPath}/signatures/{Convert.ToHexStringLower(SHA256.HashData(manifest))}.json", Encoding.UTF8.GetBytes(json));

        var (code, run) = await store.ModulusAsync("list", "--trusted-keys", pub);

        code.Should().Be(1, run.Output);
        run.Stdout.Should().Contain($"BROKEN       {ManifestKey}").And.Contain("is not a signature");
        run.Output.Should().NotContain("   at Modulus.");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_huge_signature_is_refused_at_its_cap_not_read_into_memory()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pub = dir.Combine("trusted.pem");
        await File.WriteAllTextAsync(pub, key.ExportSubjectPublicKeyInfoPem());
        var store = await PublishedAsync("file");
        var manifest = await File.ReadAllBytesAsync(store.BackingFile(ManifestKey));
        await store.PutAsync($"{artifact.ArtifactPath}/signatures/{Convert.ToHexStringLower(SHA256.HashData(manifest))}.json", new byte[(64 << 10) + 1]);

        var (code, run) = await store.ModulusAsync("verify", "--trusted-keys", pub);

        code.Should().NotBe(0, run.Output);
        run.Output.Should().Contain("is larger than 64 KiB");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_signature_linked_to_dev_zero_is_refused_at_once_not_read_forever()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pub = dir.Combine("trusted.pem");
        await File.WriteAllTextAsync(pub, key.ExportSubjectPublicKeyInfoPem());
        var store = await PublishedAsync("file");
        var manifest = await File.ReadAllBytesAsync(store.BackingFile(ManifestKey));
        var signature = store.BackingFile($"{artifact.ArtifactPath}/signatures/{Convert.ToHexStringLower(SHA256.HashData(manifest))}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(signature)!);
        File.CreateSymbolicLink(signature, "/dev/zero");

        var (code, run) = await store.ModulusAsync("list", "--trusted-keys", pub);

        code.Should().Be(1, run.Output);
        run.Stdout.Should().Contain($"BROKEN       {ManifestKey}").And.Contain("is a symbolic link");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_huge_manifest_is_refused_at_its_cap()
    {
        var store = await PublishedAsync("file");
        var node = JsonNode.Parse(await File.ReadAllBytesAsync(store.BackingFile(ManifestKey)))!;
        node["padding"] = new string(' ', (16 << 20) + 1);
        await store.PutAsync(ManifestKey, Encoding.UTF8.GetBytes(node.ToJsonString()));

        var (code, run) = await store.ModulusAsync("list");

        code.Should().Be(1, run.Output);
        run.Stdout.Should().Contain($"BROKEN       {ManifestKey}").And.Contain("is larger than 16 MiB");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_manifest_stored_under_another_artifacts_key_is_broken_for_verify_and_list(string kind)
    {
        var store = await PublishedAsync(kind);
        var otherKey = ManifestKey.Replace("nvidia-999.1.2-open", "nvidia-999.1.3-open", StringComparison.Ordinal);
        await store.PutAsync(otherKey, await File.ReadAllBytesAsync(store.BackingFile(ManifestKey)));

        var (verified, verify) = await store.ModulusAsync("verify");
        var (listed, list) = await store.ModulusAsync("list");

        verified.Should().NotBe(0, verify.Output);
        verify.Output.Should().Contain($"describes {ManifestKey}, not the key it is stored under");
        listed.Should().Be(1, list.Output);
        list.Stdout.Should().Contain($"BROKEN       {otherKey}");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_non_canonical_blob_key_is_refused_and_gc_removes_nothing()
    {
        var store = await PublishedAsync("file");
        var node = JsonNode.Parse(await File.ReadAllBytesAsync(store.BackingFile(ManifestKey)))!;
        var blobKey = (string)node["blob"]!["key"]!;
        node["blob"]!["key"] = blobKey.Replace("/blobs/", "/blobs/./", StringComparison.Ordinal);
        await store.PutAsync(ManifestKey, Encoding.UTF8.GetBytes(node.ToJsonString()));

        var (fetched, fetch) = await store.ModulusAsync("fetch", "--driver-version", CompiledNvidiaArtifact.Version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux,
            "--kernel-version", KernelUnderTest.Release, "--module-type", "open", "--to", dir.Combine("to"));
        var (collected, gc) = await store.ModulusAsync("gc", "--older-than", "0s");

        fetched.Should().NotBe(0, fetch.Output);
        fetch.Output.Should().Contain("is not the layout's");
        collected.Should().NotBe(0, gc.Output);
        gc.Output.Should().Contain("gc removes nothing");
        File.Exists(store.BackingFile(blobKey)).Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_symlinked_directory_inside_a_file_store_lets_gc_delete_nothing_outside_it()
    {
        var store = await PublishedAsync("file");
        var outside = dir.Combine("outside");
        Directory.CreateDirectory(outside);
        var victim = Path.Combine(outside, new string('c', 64) + ".tar.zst");
        await File.WriteAllTextAsync(victim, "not the store's");
        File.SetLastWriteTimeUtc(victim, DateTime.UtcNow.AddDays(-2));
        var linked = Path.Combine(Path.GetDirectoryName(store.BackingFile(ManifestKey))!, "..", "nvidia-999.1.4-open-amd64");
        Directory.CreateDirectory(linked);
        File.CreateSymbolicLink(Path.Combine(linked, "blobs"), outside);

        var (code, run) = await store.ModulusAsync("gc", "--older-than", "0s");

        code.Should().Be(0, run.Output);
        File.Exists(victim).Should().BeTrue("what a link inside the store points at is not in the store");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task An_artifact_directory_linked_elsewhere_in_a_file_store_is_refused_by_name()
    {
        var store = await PublishedAsync("file");
        var real = Path.GetDirectoryName(store.BackingFile(ManifestKey))!;
        var moved = dir.Combine("moved-away");
        Directory.Move(real, moved);
        File.CreateSymbolicLink(real, moved);

        var (code, run) = await store.ModulusAsync("fetch", "--driver-version", CompiledNvidiaArtifact.Version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux,
            "--kernel-version", KernelUnderTest.Release, "--module-type", "open", "--to", dir.Combine("to"));

        code.Should().NotBe(0, run.Output);
        run.Output.Should().Contain($"{artifact.ArtifactPath} is a symbolic link").And.Contain("never follows links inside it");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_brainpool_key_of_256_bits_is_not_taken_for_p256()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        var pub = dir.Combine("brainpool.pem");
        await File.WriteAllTextAsync(pub, key.ExportSubjectPublicKeyInfoPem());

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "file://" + dir.Combine("empty"), "--trusted-keys", pub]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("Modulus signs and verifies with ECDSA P-256 (prime256v1)").And.Contain("brainpoolP256r1");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_dangling_key_file_in_the_trusted_keys_directory_is_named()
    {
        var keys = dir.Combine("keys");
        Directory.CreateDirectory(keys);
        File.CreateSymbolicLink(Path.Combine(keys, "old.pem"), dir.Combine("gone.pem"));

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "file://" + dir.Combine("empty"), "--trusted-keys", keys]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain($"{Path.Combine(keys, "old.pem")} is a link to {dir.Combine("gone.pem")}, which does not exist");
        run.Output.Should().NotContain("   at Modulus.");
    }

    /// <summary>Waits (bounded) until the file clock has moved past <paramref name="instant"/>, so a newer write time can be told apart.</summary>
    private static async Task UntilClockPassesAsync(DateTime instant)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow <= instant.AddMilliseconds(20))
        {
            deadline.IsCancellationRequested.Should().BeFalse("the clock did not move");
            await Task.Delay(10, CancellationToken.None); // polls the clock, bounded
        }
    }

    /// <summary>A store that runs <paramref name="meanwhile"/> once, between reading the first manifest and handing it to the reader.</summary>
    private sealed class RacingStore(IArtifactStore inner, Func<Task> meanwhile) : IArtifactStore
    {
        private int fired;

        public bool Fired => fired == 1;

        public string Location => inner.Location;

        public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            var stream = await inner.OpenReadAsync(key, cancellationToken);
            if (!StoreLayout.IsManifestKey(key) || Interlocked.Exchange(ref fired, 1) == 1)
            {
                return stream;
            }

            using var copy = new MemoryStream();
            await using (stream)
            {
                await stream.CopyToAsync(copy, cancellationToken);
            }

            await meanwhile();
            return new MemoryStream(copy.ToArray(), writable: false);
        }

        public Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken) => inner.GetSizeAsync(key, cancellationToken);

        public Task<StoreObject?> StatAsync(string key, CancellationToken cancellationToken) => inner.StatAsync(key, cancellationToken);

        public Task TouchAsync(string key, CancellationToken cancellationToken) => inner.TouchAsync(key, cancellationToken);

        public Task PutFileAsync(string key, string path, IProgress<long>? progress, CancellationToken cancellationToken) => inner.PutFileAsync(key, path, progress, cancellationToken);

        public Task PutBytesAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.PutBytesAsync(key, content, cancellationToken);

        public Task<int> RemoveStaleWritesAsync(string prefix, TimeSpan olderThan, CancellationToken cancellationToken) => inner.RemoveStaleWritesAsync(prefix, olderThan, cancellationToken);

        public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task<IReadOnlyList<StoreObject>> ListObjectsAsync(string prefix, CancellationToken cancellationToken) => inner.ListObjectsAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

        public void Dispose()
        {
        }
    }
}
