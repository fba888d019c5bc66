using Modulus.Core.Errors;
using Modulus.Drivers;
using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Drivers;

/// <summary>NVIDIA's fabric manager on NVSwitch nodes (issue 20): read from its .deb, checked against the driver, run by the chart's container.</summary>
public sealed class FabricManagerIntegrationTests : IDisposable
{
    private const string Kernel = "6.12.47-cloud-amd64";
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_package_of_the_drivers_exact_version_is_accepted_and_its_programs_and_config_go_into_the_artifact()
    {
        var deb = await FabricManagerDeb.CreateAsync(dir.Path);
        var artifact = dir.Combine("artifact");

        var info = FabricManagerPackage.Check(deb, "999.1.2", "amd64");
        var written = FabricManagerPackage.AddTo(deb, artifact);

        info.Should().Be(new FabricManagerPackage.Info("nvidia-fabricmanager-999", "999.1.2-1", "amd64"));
        written.Should().BeEquivalentTo(["bin/nv-fabricmanager", "share/nvidia/nvswitch/fabricmanager.cfg", "share/nvidia/nvswitch/dgxh100_hgxh100_topology"],
            "docs and the systemd unit are not needed to run it");
        File.GetUnixFileMode(Path.Combine(artifact, "bin", "nv-fabricmanager")).Should().HaveFlag(UnixFileMode.UserExecute);
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("999.1.3", "amd64", null, "*is fabric manager 999.1.3-1, but the driver is 999.1.2*")]
    [InlineData("999.1.2", "arm64", null, "*is built for arm64, the artifact for amd64*")]
    [InlineData("999.1.2", "amd64", "nvidia-fabricmanager-dev", "*is the package 'nvidia-fabricmanager-dev'*")]
    public async Task A_package_of_another_version_arch_or_name_is_refused(string version, string arch, string? package, string message)
    {
        var deb = await FabricManagerDeb.CreateAsync(dir.Path, version, arch, package);

        FluentActions.Invoking(() => FabricManagerPackage.Check(deb, "999.1.2", "amd64")).Should().Throw<InvalidInputException>().WithMessage(message);
    }

    [Fact]
    public void A_file_that_is_not_a_debian_package_is_refused()
    {
        var file = dir.Combine("fm.deb");
        File.WriteAllText(file, "not an ar archive");

        FluentActions.Invoking(() => FabricManagerPackage.Check(file, "999.1.2", "amd64")).Should().Throw<InvalidInputException>().WithMessage("*is not a Debian package*");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Compile_puts_the_fabric_manager_into_the_artifact_and_its_manifest()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));
        var deb = await FabricManagerDeb.CreateAsync(dir.Path);

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", "999.1.2",
            "--gardenlinux-version", "1877.3", "--module-type", "open", "--cache-dir", dir.Combine("cache"), "--fabric-manager-package", deb]);

        code.Should().Be(0, run.Output);
        run.Stderr.Should().Contain("Added NVIDIA's fabric manager to nvidia-999.1.2-open-amd64");
        var manifest = await Modulus.Core.Artifacts.ManifestFile.ReadAsync(dir.Combine("cache", "1877.3", KernelUnderTest.Release, "nvidia-999.1.2-open-amd64"), CancellationToken.None);
        manifest.Files.Select(f => f.Path).Should().Contain(["bin/nv-fabricmanager", "share/nvidia/nvswitch/fabricmanager.cfg"]);
        manifest.Files.Single(f => f.Path == "bin/nv-fabricmanager").Mode.Should().Be("0755");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Compile_refuses_a_fabric_manager_of_another_version_before_it_builds()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));
        var deb = await FabricManagerDeb.CreateAsync(dir.Path, version: "999.1.1");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", "999.1.2",
            "--gardenlinux-version", "1877.3", "--module-type", "open", "--cache-dir", dir.Combine("cache"), "--fabric-manager-package", deb]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("is fabric manager 999.1.1-1, but the driver is 999.1.2");
        run.Output.Should().NotContain("build: $ make");
    }

    [Fact]
    public void The_configuration_runs_it_in_the_foreground_logging_to_stderr_with_the_artifacts_topology()
    {
        var lines = FabricManager.Configure(["# c", "LOG_FILE_NAME=/var/log/fabricmanager.log", "DAEMONIZE=1", "FABRIC_MODE=0", "TOPOLOGY_FILE_PATH=/usr/share/nvidia/nvswitch"], "/e/share/nvidia/nvswitch", "/s").ToList();

        lines.Should().Equal("# c", "LOG_FILE_NAME=", "DAEMONIZE=0", "FABRIC_MODE=0", "TOPOLOGY_FILE_PATH=/e/share/nvidia/nvswitch", "STATE_FILE_NAME=/s/fabricmanager.state");
    }

    /// <summary>A node root: the live driver linked at /opt/drivers/nvidia (relative, as install writes it), optionally with the fabric manager and an NVSwitch.</summary>
    private async Task<string> NodeAsync(bool withFabricManager, bool nvswitch)
    {
        var root = dir.Combine("node");
        var entry = Path.Combine(root, "opt", "modulus", "cache", "1877.3", Kernel, "nvidia-999.1.2-open-amd64");
        Directory.CreateDirectory(Path.Combine(entry, "bin"));
        if (withFabricManager)
        {
            FabricManagerPackage.AddTo(await FabricManagerDeb.CreateAsync(dir.Path), entry);
        }

        Directory.CreateDirectory(Path.Combine(root, "opt", "drivers"));
        File.CreateSymbolicLink(Path.Combine(root, "opt", "drivers", "nvidia"), $"../modulus/cache/1877.3/{Kernel}/nvidia-999.1.2-open-amd64");
        var gpu = Path.Combine(root, "sys", "bus", "pci", "devices", "0000:18:00.0");
        Directory.CreateDirectory(gpu);
        await File.WriteAllTextAsync(Path.Combine(gpu, "vendor"), "0x10de\n");
        await File.WriteAllTextAsync(Path.Combine(gpu, "class"), "0x030200\n");
        if (nvswitch)
        {
            var device = Path.Combine(root, "sys", "bus", "pci", "devices", "0000:07:00.0");
            Directory.CreateDirectory(device);
            await File.WriteAllTextAsync(Path.Combine(device, "vendor"), "0x10de\n");
            await File.WriteAllTextAsync(Path.Combine(device, "class"), "0x068000\n");
        }

        return root;
    }

    private string[] Command(string root) =>
        ["fabric-manager", "--host-root", root, "--cache-dir", Path.Combine(root, "opt", "modulus", "cache"), "--host-driver-path", "/opt/drivers", "--state-dir", dir.Combine("state")];

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task On_an_nvswitch_node_it_runs_the_live_artifacts_fabric_manager_in_the_foreground()
    {
        var root = await NodeAsync(withFabricManager: true, nvswitch: true);

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, Command(root));

        code.Should().Be(0, run.Output);
        run.Stderr.Should().Contain("1 NVSwitch(es) on this node (0000:07:00.0)");
        run.Stdout.Should().Contain($"nv-fabricmanager stand-in: -c {dir.Combine("state", "fabricmanager.cfg")}")
            .And.Contain("DAEMONIZE=0").And.Contain("LOG_FILE_NAME=\n")
            .And.Contain($"TOPOLOGY_FILE_PATH={Path.Combine(root, "opt", "modulus", "cache", "1877.3", Kernel, "nvidia-999.1.2-open-amd64", "share", "nvidia", "nvswitch")}");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task On_an_nvswitch_node_whose_artifact_has_no_fabric_manager_it_fails_saying_how_to_build_one()
    {
        var root = await NodeAsync(withFabricManager: false, nvswitch: true);

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, Command(root));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("carries no fabric manager").And.Contain("--fabric-manager-package");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Without_an_nvswitch_it_waits_until_stopped_and_exits_0()
    {
        var root = await NodeAsync(withFabricManager: true, nvswitch: false);
        using var waiting = ChildProcess.Start(Repo.Modulus, Command(root));

        await waiting.WaitForLineAsync("the fabric manager is not needed", TestTimeouts.QuickSpan);
        Modulus.Core.Processes.NativeSignals.Kill(waiting.Id, Modulus.Core.Processes.NativeSignals.SIGTERM).Should().Be(0);

        (await waiting.WaitForExitAsync(TestTimeouts.QuickSpan)).Should().Be(0, waiting.Output);
        waiting.Output.Should().NotContain("nv-fabricmanager stand-in");
    }
}
