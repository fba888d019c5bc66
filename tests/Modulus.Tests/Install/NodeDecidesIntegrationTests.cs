using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// `modulus install --dry-run` as a process on a host root shaped like a Garden Linux node: its os-release (no
/// VERSION_ID), its running kernel and an H100 in sysfs. No Garden Linux version or kernel is given: the node says.
/// </summary>
public sealed class NodeDecidesIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private void Node(string gardenlinuxVersion, string kernel)
    {
        Directory.CreateDirectory(dir.Combine("host", "etc"));
        File.WriteAllText(dir.Combine("host", "etc", "os-release"),
            $"ID=gardenlinux\nNAME=\"Garden Linux\"\nPRETTY_NAME=\"Garden Linux {gardenlinuxVersion}\"\nHOME_URL=\"https://gardenlinux.io\"\n" +
            $"GARDENLINUX_FEATURES=_slim,base,server,cloud,aws,gardener\nGARDENLINUX_VERSION={gardenlinuxVersion}\nGARDENLINUX_COMMIT_ID=40b9db2c\n");
        Directory.CreateDirectory(dir.Combine("host", "proc", "sys", "kernel"));
        File.WriteAllText(dir.Combine("host", "proc", "sys", "kernel", "osrelease"), kernel + "\n");
        var gpu = dir.Combine("host", "sys", "bus", "pci", "devices", "0000:17:00.0");
        Directory.CreateDirectory(gpu);
        File.WriteAllText(Path.Combine(gpu, "vendor"), "0x10de\n");
        File.WriteAllText(Path.Combine(gpu, "device"), "0x2330\n"); // H100 SXM: Hopper, so the GPU does not rule out open
        File.WriteAllText(Path.Combine(gpu, "class"), "0x030200\n");
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("1877.5", "6.12.40-cloud-amd64", "proprietary", "Garden Linux 1877.5's kernel requires signed firmware")]
    [InlineData("1877.6", "6.12.44-cloud-amd64", "open", "Garden Linux 1877.6's kernel accepts the GSP firmware")]
    [InlineData("1592.14", "6.6.84-cloud-amd64", "proprietary", "Garden Linux 1592.14's kernel requires signed firmware")]
    [InlineData("2150.8.0", "6.18.41-cloud-amd64", "open", "Garden Linux 2150.8.0's kernel accepts the GSP firmware")]
    public async Task Auto_follows_the_nodes_garden_linux_version_and_the_key_is_the_nodes(string gardenlinuxVersion, string kernel, string moduleType, string reason)
    {
        Node(gardenlinuxVersion, kernel);

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [
            "install", "--dry-run", "--driver-version", "580.159.04", "--host-root", dir.Combine("host"),
            "--cache-dir", dir.Combine("cache"), "--store", "file://" + dir.Combine("store")]);

        code.Should().Be(3, "the store is empty, so the dry run stops at the fetch: " + run.Output);
        run.Stderr.Should().Contain($"Module type {moduleType}: all 1 GPU(s) are Turing or later; ").And.Contain(reason);
        run.Stderr.Should().Contain($"Installing nvidia-580.159.04-{moduleType}-amd64 for Garden Linux {gardenlinuxVersion}, kernel {kernel} (dry run");
        run.Stderr.Should().Contain($"gardenlinux-{gardenlinuxVersion}/{kernel}/nvidia-580.159.04-{moduleType}-amd64/manifest.json");
        run.Stderr.Should().NotContain("is ignored", "nothing was given that the node contradicts");
        Directory.Exists(dir.Combine("cache")).Should().BeFalse("a dry run changes nothing");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_disagreeing_option_is_ignored_with_one_warning_and_the_nodes_value_is_used()
    {
        Node("1877.6", "6.12.44-cloud-amd64");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [
            "install", "--dry-run", "--driver-version", "580.159.04", "--gardenlinux-version", "1877.3", "--host-root", dir.Combine("host"),
            "--cache-dir", dir.Combine("cache"), "--store", "file://" + dir.Combine("store")]);

        code.Should().Be(3, run.Output);
        run.Stderr.Split('\n').Where(l => l.Contains("is ignored", StringComparison.Ordinal)).Should().ContainSingle()
            .Which.Should().Contain("--gardenlinux-version 1877.3 is ignored").And.Contain("os-release says 1877.6");
        run.Stderr.Should().Contain("Installing nvidia-580.159.04-open-amd64 for Garden Linux 1877.6, kernel 6.12.44-cloud-amd64");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Under_umask_000_the_cache_and_its_record_are_not_world_writable()
    {
        Node("1877.6", "6.12.44-cloud-amd64");
        Directory.Delete(dir.Combine("host", "sys"), recursive: true); // no GPU: install records that and stops

        var (code, run) = await ChildProcess.RunAsync("sh", ["-c", "umask 000; exec \"$@\"", "sh", Repo.Modulus,
            "install", "--driver-version", "580.159.04", "--host-root", dir.Combine("host"), "--cache-dir", dir.Combine("cache"), "--store", "file://" + dir.Combine("store")]);

        code.Should().Be(0, run.Output);
        File.GetUnixFileMode(dir.Combine("cache")).Should().Be((UnixFileMode)0b111_101_101, "0755, whatever umask the container started with");
        File.GetUnixFileMode(dir.Combine("cache", "last-install.json")).Should().Be((UnixFileMode)0b110_100_100);
    }
}
