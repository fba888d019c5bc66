using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Distribution;

/// <summary>`modulus gc` against both stores: orphaned blobs go after the grace period, named and young ones stay.</summary>
public sealed class GarbageCollectionIntegrationTests(S3rverServer s3, CompiledNvidiaArtifact artifact)
    : IClassFixture<S3rverServer>, IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>Publishes a copy of the artifact whose firmware differs by <paramref name="variant"/>, so its blob differs too.</summary>
    private async Task<Manifest> PublishVariantAsync(StoreTarget store, int variant)
    {
        var copy = await artifact.VariantAsync(dir.Combine($"variant-{variant}-{Guid.NewGuid():N}"), variant);
        var (code, run) = await store.ModulusAsync("publish", "--from", copy);
        code.Should().Be(0, run.Output);
        return await ManifestFile.ReadAsync(copy, CancellationToken.None);
    }

    [Theory(Timeout = TestTimeouts.Build)]
    [InlineData("s3")]
    [InlineData("file")]
    public async Task Removes_the_blob_a_republish_orphaned_and_keeps_the_one_the_manifest_names(string kind)
    {
        var store = await StoreTarget.CreateAsync(kind, s3, dir);
        var first = await PublishVariantAsync(store, 1);
        var second = await PublishVariantAsync(store, 2);

        var (dry, preview) = await store.ModulusAsync("gc", "--older-than", "0s", "--dry-run");
        dry.Should().Be(0, preview.Output);
        preview.Stdout.Should().Contain("would remove 1 blob(s)");
        File.Exists(store.BackingFile(first.Blob!.Key)).Should().BeTrue("a dry run removes nothing");

        var (code, run) = await store.ModulusAsync("gc", "--older-than", "0s");

        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain("removed 1 blob(s)");
        File.Exists(store.BackingFile(first.Blob.Key)).Should().BeFalse();
        File.Exists(store.BackingFile(second.Blob!.Key)).Should().BeTrue();
        var (verified, check) = await store.ModulusAsync("verify");
        verified.Should().Be(0, check.Output);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Keeps_unnamed_blobs_younger_than_the_grace_period()
    {
        var store = await StoreTarget.CreateAsync("file", s3, dir);
        var first = await PublishVariantAsync(store, 1);
        var second = await PublishVariantAsync(store, 2);
        var third = await PublishVariantAsync(store, 3);
        File.SetLastWriteTimeUtc(store.BackingFile(first.Blob!.Key), DateTime.UtcNow.AddDays(-2));

        var (code, run) = await store.ModulusAsync("gc", "--older-than", "24h");

        code.Should().Be(0, run.Output);
        File.Exists(store.BackingFile(first.Blob.Key)).Should().BeFalse("orphaned two days ago");
        File.Exists(store.BackingFile(second.Blob!.Key)).Should().BeTrue("orphaned just now: a publisher may still be at work");
        File.Exists(store.BackingFile(third.Blob!.Key)).Should().BeTrue("named by the manifest");
        run.Stderr.Should().Contain("Kept 1 unnamed blob(s) younger than 24 h");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_publisher_racing_with_gc_never_loses_its_blob()
    {
        var store = await StoreTarget.CreateAsync("file", s3, dir);
        await PublishVariantAsync(store, 0);

        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= 4; i++)
            {
                await PublishVariantAsync(store, i);
            }
        });
        var collecting = Task.Run(async () =>
        {
            for (var i = 0; i < 6; i++)
            {
                var (code, run) = await store.ModulusAsync("gc", "--older-than", "1h");
                code.Should().Be(0, run.Output);
            }
        });
        await Task.WhenAll(publishing, collecting);

        var (verified, check) = await store.ModulusAsync("verify");
        verified.Should().Be(0, "the manifest's blob is there: " + check.Output);
        var (fetched, fetch) = await store.ModulusAsync("fetch", "--driver-version", CompiledNvidiaArtifact.Version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux,
            "--kernel-version", KernelUnderTest.Release, "--module-type", "open", "--to", dir.Combine("fetched"));
        fetched.Should().Be(0, fetch.Output);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_malformed_grace_period_is_an_input_error()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["gc", "--store", "file://" + dir.Path, "--older-than", "soon"]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("--older-than 'soon' is not valid: expected a number and s, m, h or d");
    }
}
