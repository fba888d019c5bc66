using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Distribution;

/// <summary>publish, list, fetch and verify as real processes against s3rver on loopback and the file:// store.</summary>
public sealed class StoreIntegrationTests(S3rverServer s3, CompiledNvidiaArtifact artifact)
    : IClassFixture<S3rverServer>, IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string[] FetchArgs(string to, string version = CompiledNvidiaArtifact.Version) =>
        ["fetch", "--driver-version", version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux,
         "--kernel-version", KernelUnderTest.Release, "--module-type", "open", "--to", to];

    private async Task<(StoreTarget Store, Manifest Published)> PublishAsync(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var copy = artifact.CopyTo(dir.Combine("publish"));
        var (code, run) = await store.ModulusAsync("publish", "--from", copy);
        code.Should().Be(0, run.Output);
        return (store, await ManifestFile.ReadAsync(copy, CancellationToken.None));
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task Publishes_lists_and_fetches_an_artifact_byte_for_byte_with_modes_and_symlinks(string kind)
    {
        var (store, published) = await PublishAsync(kind);

        published.Blob!.Key.Should().Be($"{artifact.ArtifactPath}/blobs/{published.Blob.Sha256}.tar.zst", "zstd is the default blob format");
        published.Blob.Compression.Should().Be("zstd");
        File.Exists(store.BackingFile($"{artifact.ArtifactPath}/manifest.json")).Should().BeTrue();
        File.Exists(store.BackingFile(published.Blob.Key)).Should().BeTrue();

        var (listCode, list) = await store.ModulusAsync("list");
        listCode.Should().Be(0, list.Output);
        list.Stdout.Should().MatchRegex($@"1877\.3\s+{KernelUnderTest.Release}\s+nvidia\s+999\.1\.2\s+open\s+amd64\s");
        var (jsonCode, json) = await store.ModulusAsync("list", "--json");
        jsonCode.Should().Be(0);
        JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().Should().ContainSingle()
            .Which.GetProperty("size").GetInt64().Should().Be(published.Blob.Size);

        var to = dir.Combine("fetched", "nvidia");
        var (fetchCode, fetch) = await store.ModulusAsync(FetchArgs(to));
        fetchCode.Should().Be(0, fetch.Output);
        AssertSameTree(artifact.Directory, to);

        // libzstd decoded that one; ZstdSharp, the decoder where a machine has no libzstd, gives the same tree
        store.Environment["MODULUS_ZSTD"] = "managed";
        var managed = dir.Combine("fetched-managed", "nvidia");
        var (managedCode, managedFetch) = await store.ModulusAsync(FetchArgs(managed));
        managedCode.Should().Be(0, managedFetch.Output);
        AssertSameTree(artifact.Directory, managed);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_gzip_blob_as_older_stores_hold_is_written_on_request_and_fetched_like_a_zstd_one()
    {
        var store = await StoreTarget.CreateAsync("file", s3, dir);
        var copy = artifact.CopyTo(dir.Combine("publish"));

        var (code, run) = await store.ModulusAsync("publish", "--from", copy, "--compression", "gzip");
        var (badCode, bad) = await store.ModulusAsync("publish", "--from", copy, "--compression", "xz");

        code.Should().Be(0, run.Output);
        var published = await ManifestFile.ReadAsync(copy, CancellationToken.None);
        published.Blob!.Compression.Should().Be("gzip");
        published.Blob.Key.Should().EndWith(".tar.gz");
        (await File.ReadAllBytesAsync(store.BackingFile(published.Blob.Key))).Take(2).Should().Equal(new byte[] { 0x1f, 0x8b }, "a gzip stream");
        badCode.Should().Be(2);
        bad.Stderr.Should().Contain("--compression 'xz' is not valid: expected zstd or gzip");
        var to = dir.Combine("fetched");
        var (fetchCode, fetch) = await store.ModulusAsync(FetchArgs(to));
        fetchCode.Should().Be(0, fetch.Output);
        AssertSameTree(artifact.Directory, to);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task List_filters_shows_blob_hash_and_provenance_and_lists_broken_entries_with_their_error()
    {
        var (store, published) = await PublishAsync("file");
        var brokenKey = $"gardenlinux-{CompiledNvidiaArtifact.Gardenlinux}/{KernelUnderTest.Release}/nvidia-1.2.3-open-amd64/manifest.json";
        Directory.CreateDirectory(Path.GetDirectoryName(store.BackingFile(brokenKey))!);
        await File.WriteAllTextAsync(store.BackingFile(brokenKey), "{ not json");

        var (code, json) = await store.ModulusAsync("list", "--json");
        var (filteredCode, filtered) = await store.ModulusAsync("list", "--json", "--driver-version", CompiledNvidiaArtifact.Version, "--kernel-version", KernelUnderTest.Release);
        var (noneCode, none) = await store.ModulusAsync("list", "--gardenlinux-version", "1.0");
        var (textCode, text) = await store.ModulusAsync("list");

        code.Should().Be(1, "a broken entry fails the listing: " + json.Output);
        var rows = JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().ToList();
        rows.Should().HaveCount(2);
        var ok = rows.Single(r => r.TryGetProperty("blobSha256", out _));
        ok.GetProperty("blobSha256").GetString().Should().Be(published.Blob!.Sha256);
        ok.GetProperty("compression").GetString().Should().Be(published.Blob.Compression);
        ok.GetProperty("build").GetProperty("driverSource").GetString().Should().Be(published.Build.DriverSource);
        var broken = rows.Single(r => r.TryGetProperty("error", out _));
        broken.GetProperty("manifest").GetString().Should().Be(brokenKey);
        broken.GetProperty("error").GetString().Should().NotBeNullOrEmpty();
        filteredCode.Should().Be(0, "the broken entry is another driver version: " + filtered.Output);
        JsonDocument.Parse(filtered.Stdout).RootElement.EnumerateArray().Should().ContainSingle();
        noneCode.Should().Be(0, none.Output);
        none.Stdout.Trim().Split('\n').Should().ContainSingle("only the header");
        textCode.Should().Be(1);
        text.Stdout.Should().Contain($"BROKEN       {brokenKey}: ");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task Compile_with_a_store_skips_what_the_store_has_and_force_builds_it_again(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        string[] compile = ["compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", Repo.Module("hello"),
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", dir.Combine("cache")];

        var (first, firstRun) = await store.ModulusAsync(compile);
        var (second, secondRun) = await store.ModulusAsync(compile);
        var (forced, forcedRun) = await store.ModulusAsync([.. compile, "--force"]);

        first.Should().Be(0, firstRun.Output);
        firstRun.Stdout.Should().Contain("built hello-1.0-open-amd64").And.Contain("published: ");
        second.Should().Be(0, secondRun.Output);
        secondRun.Stdout.Should().Contain("skipped hello-1.0-open-amd64 for Garden Linux 1877.3").And.Contain("has it already");
        secondRun.Stderr.Should().NotContain("build: $ make", "the second run builds nothing");
        forced.Should().Be(0, forcedRun.Output);
        forcedRun.Stderr.Should().Contain("building it again because of --force").And.Contain("build: $ make");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Compile_with_a_signing_key_builds_again_what_the_store_holds_unsigned_and_then_skips_it()
    {
        var store = await StoreTarget.CreateAsync("file", s3, dir);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var priv = dir.Combine("signing.key");
        var pub = dir.Combine("signing.pem");
        await File.WriteAllTextAsync(priv, key.ExportECPrivateKeyPem());
        await File.WriteAllTextAsync(pub, key.ExportSubjectPublicKeyInfoPem());
        string[] compile = ["compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", Repo.Module("hello"),
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", dir.Combine("cache")];

        var (unsigned, unsignedRun) = await store.ModulusAsync(compile);
        var (signed, signedRun) = await store.ModulusAsync([.. compile, "--signing-key", priv]);
        var (again, againRun) = await store.ModulusAsync([.. compile, "--signing-key", priv]);
        var (verified, verify) = await store.ModulusAsync("verify", "--trusted-keys", pub);

        unsigned.Should().Be(0, unsignedRun.Output);
        signed.Should().Be(0, signedRun.Output);
        signedRun.Stderr.Should().Contain("but not signed by --signing-key").And.Contain("build: $ make");
        again.Should().Be(0, againRun.Output);
        againRun.Stdout.Should().Contain("has it already");
        verified.Should().Be(0, verify.Output);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_blob_over_100_MB_goes_up_as_multipart_and_comes_back_intact()
    {
        var store = await StoreTarget.CreateAsync("s3", s3, dir);
        var big = artifact.CopyTo(dir.Combine("big"));
        var payload = new byte[105 << 20];
        new Random(42).NextBytes(payload);
        await File.WriteAllBytesAsync(Path.Combine(big, "lib", "libnvidia-big.so.999.1.2"), payload);
        var manifest = await ManifestFile.ReadAsync(big, CancellationToken.None);
        await ManifestFile.WriteAsync(big, manifest with { Files = await ArtifactScanner.ScanFilesAsync(big, CancellationToken.None) }, CancellationToken.None);

        var (code, run) = await store.ModulusAsync("publish", "--from", big);

        code.Should().Be(0, run.Output);
        var published = await ManifestFile.ReadAsync(big, CancellationToken.None);
        published.Blob!.Size.Should().BeGreaterThan(100L << 20);
        run.Stderr.Should().Contain($"Multipart upload of {published.Blob.Key}: 7 parts of 16 MiB");
        run.Stderr.Should().Contain($"Upload {published.Blob.Key}: ").And.Contain("MiB/s");
        var to = dir.Combine("fetched-big");
        var (fetchCode, fetch) = await store.ModulusAsync(FetchArgs(to));
        fetchCode.Should().Be(0, fetch.Output);
        (await File.ReadAllBytesAsync(Path.Combine(to, "lib", "libnvidia-big.so.999.1.2"))).Should().Equal(payload);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task An_unreachable_store_fails_after_bounded_retries_naming_endpoint_bucket_and_key()
    {
        var port = FreePort();
        var copy = artifact.CopyTo(dir.Path);

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus,
            ["publish", "--from", copy, "--store", "s3://unreachable-bucket/drivers", "--s3-endpoint", $"http://127.0.0.1:{port}", "--s3-max-attempts", "3"],
            s3.Environment());

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("attempt 3 of 3").And.NotContain("attempt 4");
        run.Stderr.Should().MatchRegex($"ERR cannot .* drivers/{artifact.ArtifactPath}/blobs/[0-9a-f]{{64}}\\.tar\\.zst in bucket unreachable-bucket at http://127.0.0.1:{port} after 3 attempts");
        (await ManifestFile.ReadAsync(copy, CancellationToken.None)).Blob.Should().BeNull("nothing was published");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Takes_credentials_and_bucket_from_the_mounted_secret_files()
    {
        var bucket = await s3.CreateBucketAsync();
        var secret = dir.Combine("secret");
        Directory.CreateDirectory(secret);
        await File.WriteAllTextAsync(Path.Combine(secret, "accessKeyId"), S3rverServer.AccessKeyId + "\n");
        await File.WriteAllTextAsync(Path.Combine(secret, "secretAccessKey"), S3rverServer.SecretAccessKey);
        await File.WriteAllTextAsync(Path.Combine(secret, "bucket"), bucket);
        var environment = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = null, ["AWS_SECRET_ACCESS_KEY"] = null };
        string[] store = ["--store", "s3:///drivers", "--s3-endpoint", s3.Endpoint, "--s3-credentials-dir", secret];

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["publish", "--from", artifact.CopyTo(dir.Path), .. store], environment);

        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain($"to s3://{bucket}/drivers at {s3.Endpoint}");
        File.Exists(s3.ObjectFile(bucket, $"drivers/{artifact.ArtifactPath}/manifest.json")).Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task One_attempt_means_no_retries()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus,
            ["list", "--store", "s3://unreachable-bucket/drivers", "--s3-endpoint", $"http://127.0.0.1:{FreePort()}", "--s3-max-attempts", "1"], s3.Environment());

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("after 1 attempts").And.NotContain("attempt 2");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task An_unknown_access_key_gets_a_clear_403_naming_the_bucket_and_the_secret_never_shows()
    {
        const string secret = "Sup3r-Secret-Value-That-Must-Not-Leak";
        var bucket = await s3.CreateBucketAsync();
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = "UNKNOWNKEYID", ["AWS_SECRET_ACCESS_KEY"] = secret, ["MODULUS_S3_ENDPOINT"] = s3.Endpoint, ["MODULUS_LOG_LEVEL"] = "debug",
        };

        var (listCode, list) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", $"s3://{bucket}/drivers"], environment);
        var (publishCode, publish) = await ChildProcess.RunAsync(Repo.Modulus, ["publish", "--from", artifact.CopyTo(dir.Path), "--store", $"s3://{bucket}/drivers"], environment);

        listCode.Should().Be(1, list.Output);
        list.Stderr.Should().Contain($"access denied (403 InvalidAccessKeyId) to list drivers/ in bucket {bucket} at {s3.Endpoint}");
        publishCode.Should().Be(1, publish.Output);
        publish.Stderr.Should().Contain("access denied (403").And.Contain($"in bucket {bucket} at {s3.Endpoint}");
        (list.Output + publish.Output).Should().NotContain(secret);
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_damaged_blob_fails_fetch_and_verify_with_a_checksum_error_and_leaves_the_destination_as_it_was(string kind)
    {
        var (store, published) = await PublishAsync(kind);
        var blob = store.BackingFile(published.Blob!.Key);
        var bytes = await File.ReadAllBytesAsync(blob);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(blob, bytes);
        var to = dir.Combine("existing");
        Directory.CreateDirectory(to);
        await File.WriteAllTextAsync(Path.Combine(to, "keep-me"), "what was here before");

        var (fetchCode, fetch) = await store.ModulusAsync(FetchArgs(to));
        var (freshCode, fresh) = await store.ModulusAsync(FetchArgs(dir.Combine("fresh", "nvidia")));
        var (verifyCode, verify) = await store.ModulusAsync("verify");

        fetchCode.Should().Be(1, fetch.Output);
        fetch.Stderr.Should().Contain($"blob {published.Blob.Key}").And.Contain("fails its checksum").And.Contain($"the manifest says {published.Blob.Sha256}");
        Directory.GetFileSystemEntries(to).Should().Equal(Path.Combine(to, "keep-me"));
        (await File.ReadAllTextAsync(Path.Combine(to, "keep-me"))).Should().Be("what was here before");
        Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Should().NotContain(e => e!.StartsWith('.'), "no staging directory is left");
        freshCode.Should().Be(1);
        Directory.Exists(dir.Combine("fresh")).Should().BeFalse("a failed fetch leaves nothing behind");
        verifyCode.Should().Be(1, verify.Output);
        verify.Stdout.Should().Contain($"BAD  {artifact.ArtifactPath}/manifest.json: blob").And.Contain("fails its checksum").And.Contain("1 artifact(s) checked, 1 bad");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task Publish_refuses_a_file_that_changed_after_it_was_built_and_the_store_gets_nothing(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var copy = artifact.CopyTo(dir.Combine("publish"));
        var victim = (await ManifestFile.ReadAsync(copy, CancellationToken.None)).Files.First(f => f.LinkTarget is null && f.Size > 0);
        var path = Path.Combine(copy, victim.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0xFF; // same name, size and mode: only the content tells
        await File.WriteAllBytesAsync(path, bytes);

        var (code, run) = await store.ModulusAsync("publish", "--from", copy);

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain($"does not match its manifest, so it is not published: {victim.Path}: sha256 ")
            .And.Contain($"the manifest says {victim.Sha256} ({victim.Size} bytes); it changed after it was built");
        File.Exists(store.BackingFile($"{artifact.ArtifactPath}/manifest.json")).Should().BeFalse();
        var blobs = store.BackingFile($"{artifact.ArtifactPath}/blobs");
        (Directory.Exists(blobs) ? Directory.EnumerateFileSystemEntries(blobs) : []).Should().BeEmpty("nothing was uploaded");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Publish_writes_zstd_frames_that_carry_their_contents_checksum()
    {
        var (store, published) = await PublishAsync("file");
        var blob = await File.ReadAllBytesAsync(store.BackingFile(published.Blob!.Key));

        // RFC 8878: magic 28 B5 2F FD, then the frame header descriptor, whose bit 2 is Content_Checksum_flag.
        blob[..4].Should().Equal(0x28, 0xB5, 0x2F, 0xFD);
        (blob[4] & 0x04).Should().Be(0x04, "every decoder then checks the XXH64 of what it decodes");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_truncated_blob_fails_its_checksum(string kind)
    {
        var (store, published) = await PublishAsync(kind);
        var blob = store.BackingFile(published.Blob!.Key);
        var bytes = await File.ReadAllBytesAsync(blob);
        await File.WriteAllBytesAsync(blob, bytes[..(bytes.Length / 2)]);

        var (code, run) = await store.ModulusAsync(FetchArgs(dir.Combine("to")));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("fails its checksum");
        Directory.Exists(dir.Combine("to")).Should().BeFalse();
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_missing_manifest_exits_3_naming_the_key_and_what_the_store_holds(string kind)
    {
        var (store, _) = await PublishAsync(kind);

        var (code, run) = await store.ModulusAsync(FetchArgs(dir.Combine("to"), version: "999.9.9"));

        code.Should().Be(3, run.Output);
        run.Stderr.Should().Contain($"has no gardenlinux-1877.3/{KernelUnderTest.Release}/nvidia-999.9.9-open-amd64/manifest.json")
            .And.Contain($"for Garden Linux 1877.3 it holds {KernelUnderTest.Release}/nvidia-999.1.2-open-amd64");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_manifest_whose_blob_is_missing_fails_naming_the_blob(string kind)
    {
        var (store, published) = await PublishAsync(kind);
        File.Delete(store.BackingFile(published.Blob!.Key));
        foreach (var sidecar in Directory.GetFiles(Path.GetDirectoryName(store.BackingFile(published.Blob.Key))!, Path.GetFileName(published.Blob.Key) + "*"))
        {
            File.Delete(sidecar); // s3rver keeps metadata beside the object
        }

        var (code, run) = await store.ModulusAsync(FetchArgs(dir.Combine("to")));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain($"has no object {published.Blob.Key}");
        Directory.Exists(dir.Combine("to")).Should().BeFalse();
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task Two_publishers_racing_on_one_key_leave_a_manifest_that_matches_its_blob(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var first = artifact.CopyTo(dir.Combine("a"));
        var second = artifact.CopyTo(dir.Combine("b"));
        await File.AppendAllTextAsync(Path.Combine(second, "bin", "nvidia-smi"), "# a different build\n");
        var manifest = await ManifestFile.ReadAsync(second, CancellationToken.None);
        await ManifestFile.WriteAsync(second, manifest with { Files = await ArtifactScanner.ScanFilesAsync(second, CancellationToken.None) }, CancellationToken.None);

        for (var round = 0; round < 3; round++)
        {
            var results = await Task.WhenAll(store.ModulusAsync("publish", "--from", first), store.ModulusAsync("publish", "--from", second));
            results.Should().OnlyContain(r => r.ExitCode == 0);
        }

        var to = dir.Combine("fetched");
        var (code, run) = await store.ModulusAsync(FetchArgs(to));
        code.Should().Be(0, run.Output);
        var smi = await File.ReadAllTextAsync(Path.Combine(to, "bin", "nvidia-smi"));
        new[] { await File.ReadAllTextAsync(Path.Combine(first, "bin", "nvidia-smi")), await File.ReadAllTextAsync(Path.Combine(second, "bin", "nvidia-smi")) }
            .Should().Contain(smi);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Refuses_a_blob_whose_checksum_matches_but_whose_tar_escapes_the_artifact()
    {
        var (store, published) = await PublishAsync("file");
        var evil = dir.Combine("evil.tar.gz");
        await using (var file = System.IO.File.Create(evil))
        await using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        await using (var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Ustar))
        {
            await tar.WriteEntryAsync(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "lib/escape") { LinkName = "../../../../etc" });
        }

        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await System.IO.File.ReadAllBytesAsync(evil)));
        var evilKey = $"{artifact.ArtifactPath}/blobs/{sha}.tar.gz";
        System.IO.File.Copy(evil, store.BackingFile(evilKey));
        var forged = published with { Blob = new BlobInfo(evilKey, sha, new FileInfo(evil).Length, "gzip") };
        await System.IO.File.WriteAllBytesAsync(store.BackingFile($"{artifact.ArtifactPath}/manifest.json"), ManifestFile.Serialize(forged));

        var (code, run) = await store.ModulusAsync(FetchArgs(dir.Combine("to")));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("refusing tar entry 'lib/escape': it is a symlink (to '../../../../etc') the manifest does not list as one");
        Directory.Exists(dir.Combine("to")).Should().BeFalse();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Same files, bytes, modes and symlink targets (the fetched copy also has its manifest).</summary>
    private static void AssertSameTree(string expected, string actual)
    {
        static IEnumerable<string> Entries(string root) => Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p)).Where(p => p != "manifest.json").Order(StringComparer.Ordinal);

        Entries(actual).Should().Equal(Entries(expected));
        foreach (var path in Entries(expected))
        {
            var source = new FileInfo(Path.Combine(expected, path));
            var copy = new FileInfo(Path.Combine(actual, path));
            copy.LinkTarget.Should().Be(source.LinkTarget, path);
            if (source.LinkTarget is null && !source.Attributes.HasFlag(FileAttributes.Directory))
            {
                File.ReadAllBytes(copy.FullName).Should().Equal(File.ReadAllBytes(source.FullName), path);
                copy.UnixFileMode.Should().Be(source.UnixFileMode, path);
            }
        }
    }
}
