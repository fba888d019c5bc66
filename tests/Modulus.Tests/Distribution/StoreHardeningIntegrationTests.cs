using System.Net;
using System.Net.Sockets;
using Modulus.Core.Artifacts;
using Modulus.Distribution;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Distribution;

/// <summary>A careless operator and a hostile network: silent endpoints, missing credentials and stores, killed runs, full disks.</summary>
public sealed class StoreHardeningIntegrationTests(S3rverServer s3, CompiledNvidiaArtifact artifact)
    : IClassFixture<S3rverServer>, IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string[] FetchArgs(string to) =>
        ["fetch", "--driver-version", CompiledNvidiaArtifact.Version, "--gardenlinux-version", CompiledNvidiaArtifact.Gardenlinux,
         "--kernel-version", KernelUnderTest.Release, "--module-type", "open", "--to", to];

    private async Task<StoreTarget> PublishedAsync()
    {
        var store = await StoreTarget.CreateAsync("file", s3, dir);
        var (code, run) = await store.ModulusAsync("publish", "--from", artifact.CopyTo(dir.Combine("publish")));
        code.Should().Be(0, run.Output);
        return store;
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task An_endpoint_that_accepts_and_never_answers_fails_within_the_timeout_naming_endpoint_bucket_and_key_without_a_stack_trace()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptTcpClientAsync(stop.Token));
            }
        });
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus,
            ["list", "--store", "s3://silent-bucket/drivers", "--s3-endpoint", endpoint, "--s3-timeout", "1", "--s3-max-attempts", "2"], s3.Environment());
        await stop.CancelAsync();
        held.ForEach(c => c.Dispose());

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain($"cannot list drivers/ in bucket silent-bucket at {endpoint}: 2 attempt(s) got no answer within 1 s (--s3-timeout)");
        run.Stderr.Should().NotContain("   at ", "an expected failure gets a message, not a stack trace");
        held.Should().NotBeEmpty("the endpoint did accept the connection");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Missing_s3_credentials_exit_2_with_what_to_set_and_no_stack_trace()
    {
        var home = dir.Combine("home");
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = null, ["AWS_SECRET_ACCESS_KEY"] = null, ["AWS_SESSION_TOKEN"] = null, ["AWS_PROFILE"] = null,
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = null, ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = null, ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = null,
            ["AWS_EC2_METADATA_DISABLED"] = "true", ["HOME"] = home, ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(home, "none"), ["AWS_CONFIG_FILE"] = Path.Combine(home, "none"),
        };

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "s3://some-bucket/drivers", "--s3-endpoint", "http://127.0.0.1:9"], environment);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --s3-credentials-dir");
        run.Stderr.Should().NotContain("   at ");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_file_store_that_does_not_exist_is_an_input_error_for_list_fetch_and_verify()
    {
        var missing = "file://" + dir.Combine("no-such-store");

        foreach (var args in new[] { new[] { "list" }, FetchArgs(dir.Combine("to")), ["verify"] })
        {
            var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [.. args, "--store", missing]);
            code.Should().Be(2, $"{args[0]}: {run.Output}");
            run.Stderr.Should().Contain($"--store {missing}: {dir.Combine("no-such-store")} does not exist");
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_empty_to_is_an_input_error_before_any_work()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [.. FetchArgs(string.Empty), "--store", "file://" + dir.Combine("store")]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("--to is required: expected a directory");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_fetch_removes_what_a_killed_fetch_left_and_replaces_the_destination_in_one_exchange()
    {
        var store = await PublishedAsync();
        var to = dir.Combine("host", "to");
        var stale = dir.Combine("host", ".to.fetch-999999-0123abcd");
        Directory.CreateDirectory(Path.Combine(stale, "lib"));
        await File.WriteAllBytesAsync(Path.Combine(stale, "lib", "half.so"), new byte[4096]);
        var (first, run) = await store.ModulusAsync(FetchArgs(to));
        first.Should().Be(0, run.Output);
        await File.WriteAllTextAsync(Path.Combine(to, "bin", "nvidia-smi"), "local change");

        var (second, again) = await store.ModulusAsync(FetchArgs(to));

        second.Should().Be(0, again.Output);
        Directory.Exists(stale).Should().BeFalse("a staging dir of a process that is gone is removed");
        Directory.GetFileSystemEntries(dir.Combine("host")).Select(Path.GetFileName).Should().Equal("to");
        (await File.ReadAllTextAsync(Path.Combine(to, "bin", "nvidia-smi"))).Should().NotBe("local change", "the destination was replaced by the verified artifact");
    }

    [Fact]
    public void Rename_exchange_swaps_two_directories_in_one_step()
    {
        Directory.CreateDirectory(dir.Combine("a"));
        Directory.CreateDirectory(dir.Combine("b"));
        File.WriteAllText(dir.Combine("a", "which"), "a");
        File.WriteAllText(dir.Combine("b", "which"), "b");

        Modulus.Core.Files.AtomicFile.TryExchange(dir.Combine("a"), dir.Combine("b")).Should().BeTrue("Linux and this filesystem have RENAME_EXCHANGE");

        File.ReadAllText(dir.Combine("a", "which")).Should().Be("b");
        File.ReadAllText(dir.Combine("b", "which")).Should().Be("a");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_publish_removes_spool_files_of_killed_publishes_and_rewrites_the_entrys_manifest_only_after_the_store_committed()
    {
        var spool = Path.Combine(Path.GetTempPath(), "modulus-spool");
        Directory.CreateDirectory(spool);
        var leftover = Path.Combine(spool, "blob-999999-0123456789abcdef.tar.gz");
        await File.WriteAllBytesAsync(leftover, new byte[1 << 20]);
        var copy = artifact.CopyTo(dir.Combine("publish"));
        var before = await File.ReadAllBytesAsync(Path.Combine(copy, Manifest.FileName));
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus,
            ["publish", "--from", copy, "--store", "s3://unreachable-bucket/drivers", "--s3-endpoint", $"http://127.0.0.1:{port}", "--s3-max-attempts", "1"], s3.Environment());

        code.Should().Be(1, run.Output);
        File.Exists(leftover).Should().BeFalse("the spool file of a process that is gone is removed");
        (await File.ReadAllBytesAsync(Path.Combine(copy, Manifest.FileName))).Should().Equal(before, "a publish that did not commit leaves the entry's manifest as it was");
        Directory.GetFiles(spool, $"blob-{run.Id}-*").Should().BeEmpty("the failed publish removed its own spool file");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_publish_to_a_file_store_removes_temp_files_a_killed_publish_left_there_an_hour_ago()
    {
        var store = await PublishedAsync();
        var blobs = store.BackingFile($"{artifact.ArtifactPath}/blobs");
        var old = Path.Combine(blobs, ".tmp-0123456789abcdef");
        var fresh = Path.Combine(blobs, ".tmp-fedcba9876543210");
        await File.WriteAllBytesAsync(old, new byte[4096]);
        await File.WriteAllBytesAsync(fresh, new byte[4096]);
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));

        var (code, run) = await store.ModulusAsync("publish", "--from", artifact.CopyTo(dir.Combine("again")));

        code.Should().Be(0, run.Output);
        File.Exists(old).Should().BeFalse("a temp file older than an hour is a killed publisher's");
        File.Exists(fresh).Should().BeTrue("a recent one may belong to a publisher still at work");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Two_publishes_of_one_directory_at_once_end_with_a_clear_message_for_the_second()
    {
        var copy = artifact.CopyTo(dir.Combine("publish"));
        using var held = new FileStream(Path.Combine(dir.Combine("publish"), $".{Path.GetFileName(copy)}.publish-lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["publish", "--from", copy, "--store", "file://" + dir.Combine("store")]);

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain($"another publish of {copy} is running").And.NotContain("   at ");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_fetch_onto_a_disk_without_room_says_so_and_changes_nothing()
    {
        var store = await PublishedAsync();
        var small = dir.Combine("small");
        Directory.CreateDirectory(small);
        var (mounted, mount) = await ChildProcess.RunAsync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", small]);
        mounted.Should().Be(0, "the tests run as root and mount a 256 KiB tmpfs: " + mount.Output);
        try
        {
            var (code, run) = await store.ModulusAsync(FetchArgs(Path.Combine(small, "to")));

            code.Should().Be(1, run.Output);
            run.Stderr.Should().Contain($"no space left for nvidia-{CompiledNvidiaArtifact.Version}-open-amd64 in {small}: it needs").And.Contain("nothing was changed");
            run.Stderr.Should().NotContain("not a valid tar.gz");
            Directory.GetFileSystemEntries(small).Should().BeEmpty();
        }
        finally
        {
            await ChildProcess.RunAsync("umount", [small]);
        }
    }
}
