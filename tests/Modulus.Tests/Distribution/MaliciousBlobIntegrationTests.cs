using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;
using static Modulus.Tests.Fixtures.BlobForge;

namespace Modulus.Tests.Distribution;

/// <summary>
/// Blobs and manifests forged by someone who can write to the bucket, against both stores: fetch and verify refuse
/// them, and nothing outside the destination changes (the parent tree's hash is the same before and after).
/// </summary>
public sealed class MaliciousBlobIntegrationTests(S3rverServer s3) : IClassFixture<S3rverServer>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static Manifest Template => new()
    {
        Driver = new DriverInfo("nvidia", "999.6.6", ModuleType.Open, DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = "6.1.0-57-amd64", Arch = "amd64",
        Files = [], Modules = [], Build = new BuildInfo("forged", "forged", "forged", DateTimeOffset.UnixEpoch, 0), CreatedAt = DateTimeOffset.UnixEpoch,
    };

    /// <summary>Ten directories deep, <c>up</c> leads back to the artifact's root: each link looks inside on its own.</summary>
    private static readonly string Deep = string.Join('/', Enumerable.Range(1, 10).Select(i => "d" + i));

    public static TheoryData<string, string, Entry[], string> Forgeries() => new()
    {
        {
            "s3", "chained links", [Symlink($"{Deep}/up", string.Join('/', Enumerable.Repeat("..", 10))), Symlink("lib/escape", $"../{Deep}/up/../victim"), File("lib/escape/owned", 4)],
            "manifest.json is refused: 'lib/escape' is a symlink to '../d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/up/../victim', which does not resolve inside the artifact"
        },
        {
            "file", "chained links", [Symlink($"{Deep}/up", string.Join('/', Enumerable.Repeat("..", 10))), Symlink("lib/escape", $"../{Deep}/up/../victim"), File("lib/escape/owned", 4)],
            "manifest.json is refused: 'lib/escape' is a symlink to '../d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/up/../victim', which does not resolve inside the artifact"
        },
        {
            "file", "a later link redirects an earlier one", [Symlink("lib/escape", "../a/b/../victim"), Symlink("a/b", "..")],
            "manifest.json is refused: 'lib/escape' is a symlink to '../a/b/../victim', which does not resolve inside the artifact"
        },
        { "file", "manifest temp file as a link", [Symlink("manifest.json.tmp", "lib/x")], "refusing tar entry 'manifest.json.tmp': it is named like one of Modulus' own temporary files" },
        { "s3", "link loop", [Symlink("lib/a", "b/x"), Symlink("lib/b", "a")], "manifest.json is refused: 'lib/a' is a symlink to 'b/x', which does not resolve inside the artifact" },
    };

    [Theory(Timeout = TestTimeouts.Build)]
    [MemberData(nameof(Forgeries))]
    public async Task Fetch_and_verify_refuse_a_forged_blob_and_nothing_outside_the_destination_changes(string kind, string what, Entry[] entries, string message)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        await PublishAsync(store, Template, entries);
        var (to, before) = Destination();

        var (code, run) = await store.ModulusAsync(Fetch(to));

        code.Should().Be(1, what + ": " + run.Output);
        run.Stderr.Should().Contain(message);
        TreeHash.Of(Path.GetDirectoryName(to)!).Should().Be(before, "nothing outside the destination changed, and the destination was not made");
        var (verified, check) = await store.ModulusAsync("verify");
        verified.Should().Be(1, check.Output);
        check.Stdout.Should().Contain("BAD").And.Contain(message);
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task Verify_finds_a_blob_that_matches_its_own_hash_but_not_the_file_hashes_its_manifest_lists(string kind)
    {
        // What a faulty publisher could leave: names, sizes and modes as listed, other bytes. Fetch vouches for contents
        // by the blob's hash (publish checks every file as it packs it); verify hashes every file again and finds it.
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var listed = new string('a', 64);
        await PublishAsync(store, Template, [File("bin/nvidia-smi", 10, (UnixFileMode)0x1ED) with { ListedSha256 = listed }]);

        var (verified, check) = await store.ModulusAsync("verify");

        verified.Should().Be(1, check.Output);
        check.Stdout.Should().Contain("BAD").And.Contain("its blob does not hold the files its manifest lists: bin/nvidia-smi: sha256 ")
            .And.Contain($"manifest says {listed}");
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_bomb_the_manifest_does_not_list_is_refused_before_a_byte_of_it_is_written(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        await PublishAsync(store, Template, [File("bin/nvidia-smi", 10), File("lib/zeros", 256L << 20)], listed: [File("bin/nvidia-smi", 10)]);
        var (to, before) = Destination();

        var (code, run) = await store.ModulusAsync(Fetch(to));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("refusing tar entry 'lib/zeros': it is not in the manifest");
        TreeHash.Of(Path.GetDirectoryName(to)!).Should().Be(before);
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task A_file_larger_or_with_another_mode_than_listed_is_refused_before_it_is_written(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        await PublishAsync(store, Template, [File("bin/nvidia-smi", 256L << 20)], listed: [File("bin/nvidia-smi", 10)]);
        var (to, before) = Destination();

        var (code, run) = await store.ModulusAsync(Fetch(to));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("refusing tar entry 'bin/nvidia-smi': it is 268435456 bytes, the manifest says 10");
        TreeHash.Of(Path.GetDirectoryName(to)!).Should().Be(before);

        await PublishAsync(store, Template, [File("bin/nvidia-smi", 10, (UnixFileMode)0x1FF)], listed: [File("bin/nvidia-smi", 10, (UnixFileMode)0x1ED)]);
        (code, run) = await store.ModulusAsync(Fetch(to));
        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("refusing tar entry 'bin/nvidia-smi': it has mode 0777, the manifest says 0755");
    }

    private (string To, string ParentHash) Destination()
    {
        var parent = dir.Combine("host");
        Directory.CreateDirectory(parent);
        System.IO.File.WriteAllText(Path.Combine(parent, "sentinel"), "untouched");
        return (Path.Combine(parent, "to"), TreeHash.Of(parent));
    }

    private static string[] Fetch(string to) =>
        ["fetch", "--driver-version", "999.6.6", "--gardenlinux-version", "1877.3", "--kernel-version", "6.1.0-57-amd64", "--module-type", "open", "--to", to];
}
