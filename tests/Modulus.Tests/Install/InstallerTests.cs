using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Install;
using Modulus.Storage;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>Every branch of the install sequence, with fakes for the kernel, /dev, PCI and programs.</summary>
public sealed partial class InstallerTests : IDisposable
{
    private const string Kernel = "6.6.62-cloud-amd64";
    private readonly TempDirectory dir = new();
    private readonly FileStore store;
    private readonly FakeKernelModules kernel;
    private readonly FakeDeviceNodes devices = new();
    private readonly FakeKernelLog kernelLog = new();

    public InstallerTests()
    {
        store = new FileStore(dir.Combine("store"));
        kernel = new FakeKernelModules(path => path.Contains("999.2.0", StringComparison.Ordinal) ? "999.2.0" : "999.1.2");
        kernel.KernelLog = kernelLog.Lines;
        Directory.CreateDirectory(dir.Combine("host"));
    }

    public void Dispose()
    {
        store.Dispose();
        dir.Dispose();
    }

    private string Cache => dir.Combine("cache");

    private InstallRequest Request(string version = "999.1.2", bool dryRun = false) => new()
    {
        Key = new ArtifactKey("nvidia", version, ModuleType.Open, "amd64", "1877.3", Kernel), CacheDir = Cache, HostRoot = dir.Combine("host"), DryRun = dryRun,
        ModuleParameters = new Dictionary<string, string> { ["nvidia"] = "NVreg_EnableGpuFirmware=0" },
    };

    private Installer Installer(int gpus = 1, int smiGpus = 1, IArtifactCompiler? compile = null, IArtifactStore? withStore = null) =>
        new(new InstallHost(kernel, devices, new FakePciScanner(gpus), kernelLog, new FakeProcessRunner(smiGpus)), withStore ?? store, compile, NullLogger.Instance);

    /// <summary>Publishes a small artifact of NVIDIA's four modules (not real ELF: the fake kernel does not read them).</summary>
    private Task<string> PublishAsync(string version) => PublishAsync(version, ["nvidia", "nvidia-modeset", "nvidia-drm", "nvidia-uvm"], new Dictionary<string, string[]>());

    /// <summary>
    /// Publishes an artifact of <paramref name="names"/> (in load order) whose manifest records <paramref name="depends"/>,
    /// in the layout of <paramref name="schema"/> (1 unless a test says otherwise: artifacts of older stores still install).
    /// </summary>
    private async Task<string> PublishAsync(string version, string[] names, IReadOnlyDictionary<string, string[]> depends, int schema = 1)
    {
        var artifact = dir.Combine("build-" + version);
        var layout = ArtifactLayout.For(schema, "amd64");
        var modules = Path.Combine(artifact, "lib", "modules", Kernel);
        Directory.CreateDirectory(modules);
        Directory.CreateDirectory(Path.Combine(artifact, layout.Programs));
        Directory.CreateDirectory(Path.Combine(artifact, layout.Firmware, "nvidia", version));
        foreach (var name in names)
        {
            await File.WriteAllTextAsync(Path.Combine(modules, $"{name}.ko"), $"{name} {version}");
        }

        await File.WriteAllTextAsync(Path.Combine(artifact, layout.Programs, "nvidia-smi"), "#!/bin/sh\n");
        await File.WriteAllTextAsync(Path.Combine(artifact, layout.Firmware, "nvidia", version, "gsp_ga10x.bin"), "gsp");
        var manifest = new Manifest
        {
            SchemaVersion = schema,
            Driver = new DriverInfo("nvidia", version, ModuleType.Open, DriverKind.NvidiaRunfile), GardenlinuxVersion = "1877.3", KernelRelease = Kernel, Arch = "amd64",
            Files = await ArtifactScanner.ScanFilesAsync(artifact, CancellationToken.None),
            Modules = [.. names.Select(n => new ModuleEntry(n.Replace('-', '_'), $"lib/modules/{Kernel}/{n}.ko", Kernel + " SMP mod_unload ")
                { Depends = depends.GetValueOrDefault(n.Replace('-', '_'), []) })],
            Build = new BuildInfo("test", "test", "gcc", DateTimeOffset.UtcNow, 1), CreatedAt = DateTimeOffset.UtcNow,
        };
        await ManifestFile.WriteAsync(artifact, manifest, CancellationToken.None);
        await new Publisher(store, NullLogger.Instance).PublishAsync(artifact, CancellationToken.None);
        return Path.Combine(Cache, "1877.3", Kernel, $"nvidia-{version}-open-amd64");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Fetches_loads_in_manifest_order_with_parameters_creates_nodes_and_links_the_driver_path()
    {
        var entry = await PublishAsync("999.1.2");

        var outcome = await Installer(gpus: 2, smiGpus: 2).InstallAsync(Request(), CancellationToken.None);

        outcome.AlreadyInstalled.Should().BeFalse();
        kernel.Calls.Should().Equal("load nvidia NVreg_EnableGpuFirmware=0", "load nvidia_modeset", "load nvidia_drm", "load nvidia_uvm");
        kernel.FirmwarePath.Should().Be(Path.Combine(entry, "firmware"));
        devices.Nodes.Should().BeEquivalentTo(new Dictionary<string, (int, int)>
        {
            ["nvidiactl"] = (195, 255), ["nvidia0"] = (195, 0), ["nvidia1"] = (195, 1), ["nvidia-uvm"] = (510, 0), ["nvidia-uvm-tools"] = (510, 1),
        });
        new FileInfo(dir.Combine("host", "opt", "drivers", "nvidia")).LinkTarget.Should().Be(Path.GetRelativePath("/opt/drivers", entry), "a relative link names the entry through any mount");
        (await File.ReadAllTextAsync(dir.Combine("host", "etc", "ld.so.conf.d", "modulus-nvidia.conf"))).Should().Be("/opt/drivers/nvidia/lib\n");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_schema_2_artifact_gets_its_own_firmware_dir_and_library_dir_in_the_hosts_ld_so_conf()
    {
        var entry = await PublishAsync("999.1.2", ["nvidia", "nvidia-uvm"], new Dictionary<string, string[]>(), schema: 2);

        await Installer().InstallAsync(Request(), CancellationToken.None);

        kernel.FirmwarePath.Should().Be(Path.Combine(entry, "lib", "firmware"), "the kernel looks for nvidia/<version>/gsp_*.bin below it");
        (await File.ReadAllTextAsync(dir.Combine("host", "etc", "ld.so.conf.d", "modulus-nvidia.conf"))).Should().Be("/opt/drivers/nvidia/usr/lib/x86_64-linux-gnu\n");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Does_nothing_when_the_wanted_version_is_loaded_and_its_nodes_exist()
    {
        await PublishAsync("999.1.2");
        await Installer().InstallAsync(Request(), CancellationToken.None);
        kernel.Calls.Clear();

        var outcome = await Installer().InstallAsync(Request(), CancellationToken.None);

        outcome.AlreadyInstalled.Should().BeTrue();
        kernel.Calls.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Refuses_with_exit_4_naming_the_module_and_refcount_when_another_version_is_in_use()
    {
        await PublishAsync("999.2.0");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "999.1.2", 3, ["nvidia_modeset", "nvidia_uvm"]);
        kernel.Loaded["nvidia_modeset"] = new LoadedModule("nvidia_modeset", "999.1.2", 0, []);
        kernel.Loaded["nvidia_uvm"] = new LoadedModule("nvidia_uvm", "999.1.2", 0, []);

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request("999.2.0"), CancellationToken.None))
            .Should().ThrowAsync<ModulusException>()).Which;

        failure.ExitCode.Should().Be(ExitCodes.DriverInUse);
        failure.Message.Should().StartWith("cannot replace driver 999.1.2 with 999.2.0: it is in use: nvidia (refcount 3, 1 user(s) beyond its dependents nvidia_modeset/nvidia_uvm)");
        kernel.Calls.Should().BeEmpty("nothing is unloaded while in use");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Unloads_another_idle_version_dependents_first_then_loads_the_wanted_one()
    {
        await PublishAsync("999.2.0");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "999.1.2", 2, ["nvidia_modeset", "nvidia_uvm"]);
        kernel.Loaded["nvidia_modeset"] = new LoadedModule("nvidia_modeset", "999.1.2", 1, ["nvidia_drm"]);
        kernel.Loaded["nvidia_drm"] = new LoadedModule("nvidia_drm", "999.1.2", 0, []);
        kernel.Loaded["nvidia_uvm"] = new LoadedModule("nvidia_uvm", "999.1.2", 0, []);

        await Installer().InstallAsync(Request("999.2.0"), CancellationToken.None);

        kernel.Calls.Take(4).Should().Equal("unload nvidia_drm", "unload nvidia_modeset", "unload nvidia_uvm", "unload nvidia");
        kernel.Calls.Skip(4).Should().StartWith("load nvidia NVreg_EnableGpuFirmware=0");
        kernel.Loaded["nvidia"].Version.Should().Be("999.2.0");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Replaces_a_tampered_cache_entry_and_cleans_staging_leftovers()
    {
        var entry = await PublishAsync("999.1.2");
        await Installer().InstallAsync(Request(), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(entry, "bin", "nvidia-smi"), "tampered");
        Directory.CreateDirectory(Path.Combine(Cache, ".staging", "half-written"));
        kernel.Loaded.Clear();

        await Installer().InstallAsync(Request(), CancellationToken.None);

        (await File.ReadAllTextAsync(Path.Combine(entry, "bin", "nvidia-smi"))).Should().Be("#!/bin/sh\n");
        Directory.GetFileSystemEntries(Path.Combine(Cache, ".staging")).Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Exits_3_naming_the_key_and_what_the_store_holds_when_nothing_can_be_had()
    {
        await PublishAsync("999.1.2");

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request("999.9.9"), CancellationToken.None))
            .Should().ThrowAsync<ModulusException>()).Which;

        failure.ExitCode.Should().Be(ExitCodes.NotInStore);
        failure.Message.Should().Contain($"has no gardenlinux-1877.3/{Kernel}/nvidia-999.9.9-open-amd64/manifest.json")
            .And.Contain($"it holds {Kernel}/nvidia-999.1.2-open-amd64");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Compiles_when_allowed_and_the_store_does_not_have_it()
    {
        await PublishAsync("999.1.2");
        using var empty = new FileStore(dir.Combine("empty-store"));
        var compiled = 0;

        await Installer(compile: new FakeCompiler(() => { compiled++; return dir.Combine("build-999.1.2"); }), withStore: empty).InstallAsync(Request() with { CacheDir = dir.Combine("other-cache") }, CancellationToken.None);

        compiled.Should().Be(1);
        kernel.Calls.Should().Contain("load nvidia_uvm");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Fails_with_both_numbers_when_nvidia_smi_sees_fewer_gpus_than_the_pci_scan()
    {
        await PublishAsync("999.1.2");

        await FluentActions.Awaiting(() => Installer(gpus: 2, smiGpus: 1).InstallAsync(Request(), CancellationToken.None))
            .Should().ThrowAsync<ModulusException>().WithMessage("nvidia-smi lists 1 GPU(s), but the PCI scan found 2 NVIDIA GPU(s)*");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_dry_run_lists_the_steps_and_changes_nothing()
    {
        await PublishAsync("999.1.2");

        var outcome = await Installer().InstallAsync(Request(dryRun: true), CancellationToken.None);

        outcome.Steps.Should().Contain(s => s.StartsWith("fetch nvidia-999.1.2-open-amd64", StringComparison.Ordinal))
            .And.Contain("load nvidia from lib/modules/6.6.62-cloud-amd64/nvidia.ko with NVreg_EnableGpuFirmware=0")
            .And.Contain(s => s.StartsWith("create /dev/nvidiactl", StringComparison.Ordinal));
        kernel.Calls.Should().BeEmpty();
        devices.Nodes.Should().BeEmpty();
        Directory.Exists(Path.Combine(Cache, "1877.3")).Should().BeFalse();
        File.Exists(dir.Combine("host", "opt", "drivers", "nvidia")).Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Keeps_only_the_newest_other_cache_entries()
    {
        await PublishAsync("999.1.2");
        foreach (var (name, age) in new[] { ("nvidia-1.0-open-amd64", 3), ("nvidia-2.0-open-amd64", 2), ("nvidia-3.0-open-amd64", 1) })
        {
            var old = Path.Combine(Cache, "1877.3", "6.1.0-old-amd64", name);
            Directory.CreateDirectory(old);
            Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-age));
        }

        await Installer().InstallAsync(Request() with { KeepCacheEntries = 2 }, CancellationToken.None);

        Directory.GetDirectories(Path.Combine(Cache, "1877.3", "6.1.0-old-amd64")).Select(Path.GetFileName)
            .Should().BeEquivalentTo("nvidia-2.0-open-amd64", "nvidia-3.0-open-amd64");
    }
}
