using Modulus.Core.Errors;
using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>Loading: in-tree dependencies, the kernel's words on failure, rollback, nvidia-peermem.</summary>
public sealed partial class InstallerTests
{
    private static readonly string[] FiveModules = ["nvidia", "nvidia-modeset", "nvidia-drm", "nvidia-uvm", "nvidia-peermem"];

    private static readonly Dictionary<string, string[]> RealDepends = new()
    {
        ["nvidia"] = ["drm"], ["nvidia_modeset"] = ["video", "nvidia"], ["nvidia_drm"] = ["drm", "drm_kms_helper", "nvidia_modeset"], ["nvidia_uvm"] = ["nvidia"],
    };

    /// <summary>The host's module index as depmod writes it: drm_kms_helper needs drm, video needs wmi; ib_core when asked.</summary>
    private void HostModules(bool infiniband = false, string builtin = "")
    {
        var modules = dir.Combine("host", "lib", "modules", Kernel);
        Directory.CreateDirectory(modules);
        var lines = new List<string>
        {
            "kernel/drivers/gpu/drm/drm.ko:",
            "kernel/drivers/gpu/drm/drm_kms_helper.ko: kernel/drivers/gpu/drm/drm.ko",
            "kernel/drivers/platform/x86/wmi.ko:",
            "kernel/drivers/acpi/video.ko: kernel/drivers/platform/x86/wmi.ko",
        };
        if (infiniband)
        {
            lines.Add("kernel/drivers/infiniband/core/ib_core.ko:");
        }

        File.WriteAllLines(Path.Combine(modules, "modules.dep"), lines);
        File.WriteAllText(Path.Combine(modules, "modules.builtin"), builtin);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Loads_the_in_tree_modules_each_module_depends_on_first_from_the_hosts_module_tree()
    {
        HostModules();
        await PublishAsync("999.1.2", FiveModules[..4], RealDepends);

        await Installer().InstallAsync(Request(), CancellationToken.None);

        kernel.Calls.Should().Equal(
            "load drm", "load nvidia NVreg_EnableGpuFirmware=0", "load wmi", "load video", "load nvidia_modeset", "load drm_kms_helper", "load nvidia_drm", "load nvidia_uvm");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Skips_built_in_and_loaded_dependencies()
    {
        HostModules(builtin: "kernel/drivers/platform/x86/wmi.ko\nkernel/drivers/acpi/video.ko\n");
        kernel.Loaded["drm"] = new("drm", null, 0, []);
        await PublishAsync("999.1.2", FiveModules[..4], RealDepends);

        await Installer().InstallAsync(Request(), CancellationToken.None);

        kernel.Calls.Should().Equal("load nvidia NVreg_EnableGpuFirmware=0", "load nvidia_modeset", "load drm_kms_helper", "load nvidia_drm", "load nvidia_uvm");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Names_a_dependency_the_node_does_not_have_and_loads_nothing_of_the_driver()
    {
        await PublishAsync("999.1.2", FiveModules[..4], RealDepends);

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request(), CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.Message.Should().StartWith("nvidia needs the kernel module drm, which is not loaded and not in ").And.Contain($"lib/modules/{Kernel}/modules.dep");
        kernel.Loaded.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Says_no_nvidia_gpu_was_found_quoting_the_kernel_unloads_what_it_loaded_and_restores_the_firmware_path()
    {
        HostModules();
        await PublishAsync("999.1.2", FiveModules[..4], RealDepends);
        kernel.SetFirmwarePath("/lib/firmware/custom");
        kernel.Failures["nvidia"] = 19;
        kernel.KernelSays.AddRange(["NVRM: No NVIDIA GPU found.", "nvidia: probe of 0000:00:02.0 failed"]);

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request(), CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.ExitCode.Should().Be(ExitCodes.Failure);
        failure.Message.Should().StartWith("no NVIDIA GPU was found: the kernel refused nvidia.ko with ENODEV (errno 19). The kernel says: NVRM: No NVIDIA GPU found.");
        kernel.Calls.Should().Equal("load drm", "load nvidia NVreg_EnableGpuFirmware=0", "unload drm");
        kernel.Loaded.Should().BeEmpty();
        kernel.FirmwarePath.Should().Be("/lib/firmware/custom");
        File.Exists(dir.Combine("host", "opt", "drivers", "nvidia")).Should().BeFalse("a failed install links nothing");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_failing_third_module_unloads_the_first_two_again_and_quotes_the_unknown_symbol()
    {
        await PublishAsync("999.1.2");
        kernel.Failures["nvidia_drm"] = 2;
        kernel.KernelSays.Add("nvidia_drm: Unknown symbol drm_gem_object_free (err -2)");

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request(), CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.Message.Should().Contain("loading nvidia_drm of nvidia-999.1.2-open-amd64").And.EndWith("The kernel log says: nvidia_drm: Unknown symbol drm_gem_object_free (err -2)");
        kernel.Calls.Should().Equal("load nvidia NVreg_EnableGpuFirmware=0", "load nvidia_modeset", "load nvidia_drm", "unload nvidia_modeset", "unload nvidia");
        kernel.Loaded.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Leaves_peermem_out_with_a_warning_where_the_node_has_no_infiniband_core_and_is_still_ready()
    {
        HostModules();
        await PublishAsync("999.1.2", FiveModules, RealDepends);

        await Installer().InstallAsync(Request(), CancellationToken.None);
        var again = await Installer().InstallAsync(Request(), CancellationToken.None);

        kernel.Calls.Should().NotContain(c => c.Contains("peermem", StringComparison.Ordinal)).And.Contain("load nvidia_uvm");
        again.AlreadyInstalled.Should().BeTrue("a skipped peermem does not make the driver look missing");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Loads_peermem_after_ib_core_where_the_node_has_it_and_a_peermem_failure_does_not_fail_the_install()
    {
        HostModules(infiniband: true);
        await PublishAsync("999.1.2", FiveModules, new Dictionary<string, string[]>(RealDepends) { ["nvidia_peermem"] = ["ib_core", "nvidia"] });
        kernel.Failures["nvidia_peermem"] = 22;

        var outcome = await Installer().InstallAsync(Request(), CancellationToken.None);

        kernel.Calls.Should().EndWith(["load ib_core", "load nvidia_peermem"]);
        outcome.AlreadyInstalled.Should().BeFalse();
        kernel.Loaded.Should().ContainKeys("nvidia", "nvidia_uvm", "ib_core").And.NotContainKey("nvidia_peermem");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Peermem_always_loads_it_without_ib_core_and_its_failure_fails_and_rolls_back_the_install()
    {
        HostModules();
        await PublishAsync("999.1.2", FiveModules, RealDepends);
        kernel.Failures["nvidia_peermem"] = 22;

        await FluentActions.Awaiting(() => Installer().InstallAsync(Request() with { Peermem = PeermemPolicy.Always }, CancellationToken.None))
            .Should().ThrowAsync<ModulusException>().WithMessage("*loading nvidia_peermem of nvidia-999.1.2-open-amd64*");

        kernel.Loaded.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Peermem_never_leaves_it_out_even_where_the_node_has_ib_core()
    {
        HostModules(infiniband: true);
        await PublishAsync("999.1.2", FiveModules, RealDepends);

        await Installer().InstallAsync(Request() with { Peermem = PeermemPolicy.Never }, CancellationToken.None);

        kernel.Calls.Should().NotContain(c => c.Contains("peermem", StringComparison.Ordinal) || c.Contains("ib_core", StringComparison.Ordinal));
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Leaves_the_running_driver_alone_when_the_new_version_is_not_in_the_store()
    {
        await PublishAsync("999.1.2");
        await Installer().InstallAsync(Request(), CancellationToken.None);
        kernel.Calls.Clear();

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request("999.2.0"), CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.ExitCode.Should().Be(ExitCodes.NotInStore);
        kernel.Calls.Should().BeEmpty("nothing is unloaded before the new artifact is in the cache");
        kernel.Loaded["nvidia"].Version.Should().Be("999.1.2");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Refuses_with_exit_4_and_the_remedy_where_the_kernel_cannot_unload_modules()
    {
        await PublishAsync("999.2.0");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "999.1.2", 0, []) { Unloadable = false };

        var failure = (await FluentActions.Awaiting(() => Installer().InstallAsync(Request("999.2.0"), CancellationToken.None)).Should().ThrowAsync<ModulusException>()).Which;

        failure.ExitCode.Should().Be(ExitCodes.DriverInUse);
        failure.Message.Should().Contain("this kernel cannot unload modules").And.Contain("no refcnt").And.Contain("Reboot the node").And.Contain("new node pool");
        kernel.Calls.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Loads_nothing_on_a_node_without_an_nvidia_gpu()
    {
        await PublishAsync("999.1.2");

        var outcome = await Installer(gpus: 0, smiGpus: 0).InstallAsync(Request(), CancellationToken.None);

        outcome.NoGpu.Should().BeTrue();
        kernel.Calls.Should().BeEmpty();
        Directory.Exists(Path.Combine(Cache, "1877.3")).Should().BeFalse("not even fetched");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Runs_the_hosts_ldconfig_inside_the_host_root_after_linking_the_driver()
    {
        await PublishAsync("999.1.2");
        Directory.CreateDirectory(dir.Combine("host", "sbin"));
        await File.WriteAllTextAsync(dir.Combine("host", "sbin", "ldconfig"), string.Empty);
        var runner = new FakeProcessRunner(1);

        await new Modulus.Install.Installer(new InstallHost(kernel, devices, new FakePciScanner(1), kernelLog, runner), store, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .InstallAsync(Request(), CancellationToken.None);

        runner.Ran.Should().Contain($"chroot {dir.Combine("host")} /sbin/ldconfig");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_dry_run_returns_the_plan_in_order_fetch_before_load()
    {
        await PublishAsync("999.1.2");

        var steps = (await Installer().InstallAsync(Request(dryRun: true), CancellationToken.None)).Steps;

        steps.Select((s, i) => (s, i)).First(p => p.s.StartsWith("fetch", StringComparison.Ordinal)).i
            .Should().BeLessThan(steps.ToList().FindIndex(s => s.StartsWith("load nvidia", StringComparison.Ordinal)));
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_image_without_chroot_does_not_fail_an_install_whose_driver_is_live()
    {
        await PublishAsync("999.1.2");
        Directory.CreateDirectory(dir.Combine("host", "sbin"));
        await File.WriteAllTextAsync(dir.Combine("host", "sbin", "ldconfig"), string.Empty);

        var outcome = await new Modulus.Install.Installer(new InstallHost(kernel, devices, new FakePciScanner(1), kernelLog, new NoChrootRunner()), store, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .InstallAsync(Request(), CancellationToken.None);

        outcome.AlreadyInstalled.Should().BeFalse();
        kernel.Loaded.Should().ContainKey("nvidia");
        new FileInfo(dir.Combine("host", "opt", "drivers", "nvidia")).LinkTarget.Should().NotBeNull("the driver path is linked before ldconfig runs");
    }

    /// <summary>Runs everything as <see cref="FakeProcessRunner"/> does, but has no chroot program.</summary>
    private sealed class NoChrootRunner : Modulus.Core.Processes.IProcessRunner
    {
        private readonly FakeProcessRunner inner = new(1);

        public Task<Modulus.Core.Processes.ProcessResult> RunAsync(Modulus.Core.Processes.ProcessSpec spec, Action<Modulus.Core.Processes.OutputLine>? onOutput, CancellationToken cancellationToken) =>
            spec.Program == "chroot"
                ? throw new ModulusException("could not start 'chroot': No such file or directory. Is it installed and on PATH?")
                : inner.RunAsync(spec, onOutput, cancellationToken);
    }
}
