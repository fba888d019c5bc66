using System.Security.Cryptography;
using System.Text.Json;
using Modulus.Core.Artifacts;
using Modulus.Core.Pipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>`modulus compile` as a real process, with a real dev-builder and real kbuild against Debian's headers.</summary>
public sealed class CompileIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private string Cache => dir.Combine("cache");

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Compiles_a_kbuild_module_into_the_cache_with_a_manifest_that_matches_its_files()
    {
        var (code, run) = await Modulus("compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", "file://" + Repo.Module("hello"),
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", Cache);

        code.Should().Be(0, run.Output);
        var artifact = Path.Combine(Cache, "1877.3", KernelUnderTest.Release, "hello-1.0-open-amd64");
        run.Stdout.Should().Contain($"built hello-1.0-open-amd64 for Garden Linux 1877.3, kernel {KernelUnderTest.Release}").And.Contain(artifact);
        run.Stderr.Should().Contain("build: $ make -j", "the build log is streamed");
        var manifest = ReadManifest(artifact);
        manifest.Should().BeEquivalentTo(new
        {
            SchemaVersion = Manifest.CurrentSchemaVersion,
            Driver = new DriverInfo("hello", "1.0", ModuleType.Open, DriverKind.Kbuild),
            GardenlinuxVersion = "1877.3",
            KernelRelease = KernelUnderTest.Release,
            Arch = "amd64",
            Blob = (BlobInfo?)null,
        }, o => o.ExcludingMissingMembers());
        manifest.Modules.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Name = "hello", Path = $"lib/modules/{KernelUnderTest.Release}/hello.ko" });
        manifest.Modules[0].Vermagic.Should().StartWith(KernelUnderTest.Release + " ");
        AssertFilesMatch(artifact, manifest);
        Directory.GetFileSystemEntries(Path.Combine(Cache, "build")).Should().BeEmpty();
        Directory.GetFileSystemEntries(Path.Combine(Cache, ".staging")).Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Compiles_the_open_modules_of_an_nvidia_runfile_with_userspace_libraries_and_firmware()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));

        var (code, run) = await Modulus("compile", "--local-builder", "--driver-kind", "nvidia-runfile", "--driver-source", "file://" + runfile,
            "--driver-version", "999.1.2", "--gardenlinux-version", "1877.3", "--module-type", "open", "--kernel-version", KernelUnderTest.Release, "--cache-dir", Cache);

        code.Should().Be(0, run.Output);
        var artifact = Path.Combine(Cache, "1877.3", KernelUnderTest.Release, "nvidia-999.1.2-open-amd64");
        var manifest = ReadManifest(artifact);
        manifest.Modules.Select(m => m.Name).Should().Equal("nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm");
        manifest.Modules.Should().OnlyContain(m => m.Vermagic.StartsWith(KernelUnderTest.Release + " "));
        (await ModinfoField(Path.Combine(artifact, manifest.Modules[0].Path), "flavor")).Should().Be("open", "kernel-open/ was built");
        var drmInKernel = File.ReadLines($"/lib/modules/{KernelUnderTest.Release}/build/.config").Contains("CONFIG_DRM=m");
        (await ModinfoField(Path.Combine(artifact, manifest.Modules[2].Path), "depends")).Should().Be(drmInKernel ? "drm,nvidia-modeset" : "nvidia-modeset",
            "like NVIDIA's, the stand-in's nvidia-drm needs the kernel's own drm where the kernel builds it as a module");
        manifest.SchemaVersion.Should().Be(2);
        manifest.Files.Single(f => f.Path == "bin/nvidia-smi").Mode.Should().Be("0755");
        manifest.Files.Single(f => f.Path == "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1").LinkTarget.Should().Be("libnvidia-ml.so.999.1.2");
        manifest.Files.Single(f => f.Path == "usr/lib/x86_64-linux-gnu/libcuda.so.1").LinkTarget.Should().Be("libcuda.so.999.1.2");
        manifest.Files.Select(f => f.Path).Should().Contain(["usr/lib/x86_64-linux-gnu/libcuda.so.999.1.2", "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.999.1.2",
            "lib/firmware/nvidia/999.1.2/gsp_ga10x.bin", "lib/firmware/nvidia/999.1.2/gsp_tu10x.bin",
            "bin/nvidia-modprobe", "bin/nvidia-persistenced", "lib/modules/" + KernelUnderTest.Release + "/modules.dep"]);
        manifest.Files.Select(f => f.Path).Should().NotContain(p => p.StartsWith("firmware/", StringComparison.Ordinal) || p.StartsWith("lib/lib", StringComparison.Ordinal),
            "libraries and firmware are where NVIDIA's tools look, not in the layout of schema 1");
        manifest.Files.Where(f => f.LinkTarget is not null).Should().OnlyContain(f => !f.LinkTarget!.StartsWith('/'), "no link in an artifact is absolute");
        manifest.Files.Select(f => f.Path).Should().NotContain(p => p.Contains("nvidia-installer.txt"));
        AssertFilesMatch(artifact, manifest);
        manifest.Build.Should().BeEquivalentTo(new
        {
            DriverSource = "file://" + runfile,
            DriverSourceSha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(runfile))),
            KernelHeaders = $"/usr/src/linux-headers-{KernelUnderTest.Release}",
            ModulesStripped = true,
        }, o => o.ExcludingMissingMembers());
        manifest.Build.KernelSource.Should().EndWith("-common");
        manifest.Build.ModuleBytes.Should().BeLessThan(manifest.Build.ModuleBytesBeforeStrip!.Value);
        run.Output.Should().NotContain("carries no userspace");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Builds_the_proprietary_tree_when_auto_meets_a_driver_below_560()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("550.54.14", dir.Combine("runs"));

        var (code, run) = await Modulus("compile", "--local-builder", "--driver-source", runfile, "--keep-debug-info",
            "--driver-version", "550.54.14", "--gardenlinux-version", "1592.3", "--cache-dir", Cache);

        code.Should().Be(0, run.Output);
        var artifact = Path.Combine(Cache, "1592.3", KernelUnderTest.Release, "nvidia-550.54.14-proprietary-amd64");
        var manifest = ReadManifest(artifact);
        manifest.Driver.ModuleType.Name().Should().Be("proprietary");
        manifest.Build.ModulesStripped.Should().BeFalse("--keep-debug-info");
        manifest.Build.ModuleBytes.Should().Be(manifest.Build.ModuleBytesBeforeStrip);
        (await ModinfoField(Path.Combine(artifact, manifest.Modules[0].Path), "license")).Should().Be("NVIDIA");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Fails_with_the_compilers_error_and_makes_exit_code_and_leaves_no_artifact()
    {
        var (code, run) = await Modulus("compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", Repo.Module("broken"),
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", Cache);

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("building broken-1.0-open-amd64 for Garden Linux 1877.3")
            .And.Contain("failed: command failed with exit code 2: make")
            .And.Contain("'modulus_fixture_undeclared_symbol' undeclared");
        Directory.Exists(Path.Combine(Cache, "1877.3")).Should().BeFalse("a failed build leaves no artifact directory");
        Directory.GetFileSystemEntries(Path.Combine(Cache, "build")).Should().BeEmpty();
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("--driver-version", "../x")]
    [InlineData("--driver-version", "550.1;rm -rf /")]
    [InlineData("--driver-version", "")]
    [InlineData("--gardenlinux-version", "../../etc")]
    [InlineData("--kernel-version", "../6.1")]
    [InlineData("--arch", "x86_64")]
    [InlineData("--module-type", "closed")]
    [InlineData("--driver-version", "５５０.１")]
    [InlineData("--driver-source-sha256", "not-a-checksum")]
    public async Task Rejects_bad_input_with_exit_2_naming_the_option_before_any_work(string option, string value)
    {
        var args = new Dictionary<string, string>
        {
            ["--driver-version"] = "550.127.08", ["--gardenlinux-version"] = "1592.3", ["--kernel-version"] = "6.1.0-1-amd64",
            ["--arch"] = "amd64", ["--module-type"] = "auto",
        };
        args[option] = value;

        var (code, run) = await Modulus(["compile", "--local-builder", "--cache-dir", Cache, .. args.SelectMany(p => new[] { p.Key, p.Value })]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain(option).And.Contain("expected");
        Directory.Exists(Cache).Should().BeFalse("nothing is done before the input is valid");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Refuses_a_driver_source_whose_sha256_differs_before_running_it()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));
        var marker = dir.Combine("ran");
        await File.AppendAllTextAsync(runfile, string.Empty);
        var script = await File.ReadAllTextAsync(runfile);
        await File.WriteAllTextAsync(runfile, script.Replace("#!/bin/sh\n", $"#!/bin/sh\ntouch {marker}\n", StringComparison.Ordinal));
        var wrong = new string('0', 64);

        var (code, run) = await Modulus("compile", "--local-builder", "--driver-source", runfile, "--driver-source-sha256", wrong,
            "--driver-version", "999.1.2", "--gardenlinux-version", "1877.3", "--module-type", "open", "--cache-dir", Cache);

        code.Should().Be(2, run.Output);
        var actual = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(runfile)));
        run.Stderr.Should().Contain($"has SHA-256 {actual}, not the expected {wrong} (--driver-source-sha256); it was not run");
        File.Exists(marker).Should().BeFalse("the .run never ran");
        Directory.Exists(Path.Combine(Cache, "1877.3")).Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task The_stand_in_runfile_needs_the_source_tree_like_nvidias_and_fails_the_same_way_without_sysout()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));
        var extracted = dir.Combine("extract");
        (await ChildProcess.RunAsync("sh", [runfile, "-x", "--target", extracted])).ExitCode.Should().Be(0);
        var headers = new Modulus.DevBuilder.Recipes.KernelHeadersLocator("/").Select(null);
        headers.Source.Should().NotBe(headers.Path, "Debian splits its headers into a build dir and a -common source dir");

        var (code, run) = await ChildProcess.RunAsync("make", ["-C", Path.Combine(extracted, "kernel-open"), $"SYSSRC={headers.Path}", "modules"],
            new Dictionary<string, string?> { ["LC_ALL"] = "C", ["LANG"] = "C" }, timeout: TimeSpan.FromMinutes(2));

        code.Should().NotBe(0);
        run.Output.Should().MatchRegex(@"nv_stdarg\.h:\d+:\d+: fatal error: stdarg\.h: No such file or directory", "this is how NVIDIA's real build fails with SYSSRC alone");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Requires_exactly_one_of_cmd_dir_and_local_builder()
    {
        var (code, run) = await Modulus("compile", "--driver-version", "550.127.08", "--gardenlinux-version", "1592.3", "--cache-dir", Cache);

        code.Should().Be(2);
        run.Stderr.Should().Contain("pass exactly one of --cmd-dir DIR");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Reads_its_options_from_modulus_environment_variables()
    {
        var environment = new Dictionary<string, string?>
        {
            ["MODULUS_LOCAL_BUILDER"] = "true", ["MODULUS_DRIVER_KIND"] = "kbuild", ["MODULUS_DRIVER_SOURCE"] = Repo.Module("hello"),
            ["MODULUS_DRIVER_NAME"] = "from-env", ["MODULUS_DRIVER_VERSION"] = "2.0", ["MODULUS_GARDENLINUX_VERSION"] = "1443.10",
            ["MODULUS_CACHE_DIR"] = Cache,
        };

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile"], environment, TimeSpan.FromMilliseconds(TestTimeouts.Build));

        code.Should().Be(0, run.Output);
        Directory.Exists(Path.Combine(Cache, "1443.10", KernelUnderTest.Release, "from-env-2.0-open-amd64")).Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Names_the_kernels_dev_builder_has_when_the_requested_one_is_missing()
    {
        var (code, run) = await Modulus("compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", Repo.Module("hello"),
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--kernel-version", "9.9.9-gardenlinux-cloud-amd64", "--cache-dir", Cache);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain($"--kernel-version 9.9.9-gardenlinux-cloud-amd64: dev-builder has no headers for it; it has: {KernelUnderTest.Release}");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Fails_clearly_and_keeps_nothing_when_the_attached_dev_builder_dies_mid_build()
    {
        await using var server = new DevBuilderServer();
        await server.InitializeAsync();
        var slow = ModuleSources.WriteSlow(dir.Path);
        using var modulus = ChildProcess.Start(Repo.Modulus, ["compile", "--cmd-dir", server.Cmd.Path, "--driver-kind", "kbuild", "--driver-source", slow,
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", server.CacheDir]);

        await modulus.WaitForLineAsync(ModuleSources.SlowMarker, TimeSpan.FromMilliseconds(TestTimeouts.Build));
        server.Process.KillTree();
        var code = await modulus.WaitForExitAsync(TimeSpan.FromSeconds(40));

        code.Should().Be(1, modulus.Output);
        modulus.Stderr.Should().Contain($"dev-builder closed {server.Cmd.ResponseFifo} while modulus waited for job slow-1.0-open-amd64-");
        Directory.Exists(Path.Combine(server.CacheDir, "1877.3")).Should().BeFalse();
        Directory.GetFileSystemEntries(server.OutDir).Should().BeEmpty("modulus removes the dead job's partial directory");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Attaches_through_bootstrap_sh_which_unpacks_the_payload_modulus_placed()
    {
        // The payload as `make payload` packs it: dev-builder alone (the build output's needs its assemblies beside it).
        var payload = dir.Combine("dev-builder.tar.gz");
        var builder = Path.GetDirectoryName(Repo.DevBuilder)!;
        var files = Repo.RunsBuildOutput
            ? Directory.GetFiles(builder).Select(Path.GetFileName)
                .Where(f => f!.StartsWith("dev-builder", StringComparison.Ordinal) || f.EndsWith(".dll", StringComparison.Ordinal)).ToArray()
            : ["dev-builder"];
        (await ChildProcess.RunAsync("tar", ["-czf", payload, "-C", builder, .. files!])).ExitCode.Should().Be(0);
        var cmd = dir.Combine("cmd");
        using var bootstrap = ChildProcess.Start("sh", [Repo.Bootstrap, "--heartbeat-interval", "0.5"], new Dictionary<string, string?>
        {
            ["MODULUS_CMD_DIR"] = cmd, ["MODULUS_OUT_DIR"] = Path.Combine(Cache, "build"), ["MODULUS_BOOTSTRAP_DIR"] = dir.Combine("unpacked"),
        });
        await bootstrap.WaitForLineAsync("bootstrap: waiting", TestTimeouts.QuickSpan);

        var (code, run) = await Modulus("compile", "--cmd-dir", cmd, "--dev-builder-payload", payload, "--driver-kind", "kbuild",
            "--driver-source", Repo.Module("hello"), "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", Cache);

        code.Should().Be(0, run.Output + bootstrap.Output);
        run.Stderr.Should().Contain($"Placed the dev-builder payload {payload} into {cmd}");
        bootstrap.Output.Should().Contain("bootstrap: starting " + dir.Combine("unpacked", "dev-builder") + " serve --cmd-dir " + cmd);
        File.Exists(Path.Combine(Cache, "1877.3", KernelUnderTest.Release, "hello-1.0-open-amd64", "manifest.json")).Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Bootstrap_gives_up_with_a_clear_message_when_no_payload_comes()
    {
        var (code, run) = await ChildProcess.RunAsync("sh", [Repo.Bootstrap], new Dictionary<string, string?>
        {
            ["MODULUS_CMD_DIR"] = dir.Combine("cmd"), ["MODULUS_BOOTSTRAP_TIMEOUT"] = "1",
        });

        code.Should().Be(1);
        run.Stderr.Should().Contain($"bootstrap: no {dir.Combine("cmd", "dev-builder.tar.gz")} after 1s; is the modulus container running and sharing {dir.Combine("cmd")}?");
    }

    private static Task<(int ExitCode, ChildProcess Process)> Modulus(params string[] args) =>
        ChildProcess.RunAsync(Repo.Modulus, args, timeout: TimeSpan.FromMilliseconds(TestTimeouts.Build));

    private static Manifest ReadManifest(string artifact) =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(artifact, Manifest.FileName)), ProtocolJson.Options)!;

    /// <summary>Every file on disk is in the manifest with its hash, size and mode, and nothing else is.</summary>
    private static void AssertFilesMatch(string artifact, Manifest manifest)
    {
        var onDisk = Directory.GetFileSystemEntries(artifact, "*", SearchOption.AllDirectories)
            .Where(p => !Directory.Exists(p) || new DirectoryInfo(p).LinkTarget is not null)
            .Select(p => Path.GetRelativePath(artifact, p)).Where(p => p != Manifest.FileName).Order(StringComparer.Ordinal);
        manifest.Files.Select(f => f.Path).Should().Equal(onDisk);
        foreach (var file in manifest.Files.Where(f => f.LinkTarget is null))
        {
            var path = Path.Combine(artifact, file.Path);
            file.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), file.Path);
            file.Size.Should().Be(new FileInfo(path).Length, file.Path);
            file.Mode.Should().Be("0" + Convert.ToString((int)File.GetUnixFileMode(path), 8), file.Path);
        }
    }

    /// <summary>Reads a .modinfo field with kmod's modinfo: a check independent of Modulus' own ELF reader.</summary>
    private static async Task<string> ModinfoField(string module, string field)
    {
        var (code, run) = await ChildProcess.RunAsync("/usr/sbin/modinfo", ["-F", field, module]);
        code.Should().Be(0, run.Output);
        return run.Stdout.Trim();
    }
}
