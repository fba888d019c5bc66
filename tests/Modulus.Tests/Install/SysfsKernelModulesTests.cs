using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>/sys/module as kernels lay it out, in a fake host root: with and without module unloading.</summary>
public sealed class SysfsKernelModulesTests : IDisposable
{
    private readonly TempDirectory root = new();

    public void Dispose() => root.Dispose();

    /// <summary>A loaded module; <paramref name="refcnt"/> null as on a kernel without CONFIG_MODULE_UNLOAD.</summary>
    private void Module(string name, string? version, int? refcnt, string initstate = "live")
    {
        var dir = root.Combine("sys", "module", name);
        Directory.CreateDirectory(Path.Combine(dir, "holders"));
        File.WriteAllText(Path.Combine(dir, "initstate"), initstate + "\n");
        if (version is not null)
        {
            File.WriteAllText(Path.Combine(dir, "version"), version + "\n");
        }

        if (refcnt is not null)
        {
            File.WriteAllText(Path.Combine(dir, "refcnt"), refcnt + "\n");
        }
    }

    [Fact]
    public void A_live_module_without_refcnt_is_loaded_and_cannot_be_unloaded()
    {
        Module("nvidia", "580.159.04", refcnt: null);

        var nvidia = new SysfsKernelModules(root.Path).Get("nvidia");

        nvidia.Should().NotBeNull("initstate says live; a missing refcnt only means the kernel cannot unload modules");
        nvidia!.Version.Should().Be("580.159.04");
        nvidia.Unloadable.Should().BeFalse();
    }

    [Fact]
    public void Built_ins_and_modules_still_coming_are_not_loaded_modules()
    {
        Directory.CreateDirectory(root.Combine("sys", "module", "firmware_class", "parameters"));
        Module("nvidia_uvm", "580.159.04", refcnt: 0, initstate: "coming");

        var modules = new SysfsKernelModules(root.Path);

        modules.Get("firmware_class").Should().BeNull("a built-in has no initstate");
        modules.Get("nvidia_uvm").Should().BeNull();
        modules.Get("absent").Should().BeNull();
    }

    [Fact]
    public async Task Status_lists_every_nvidia_module_with_its_version_without_a_driver_link_or_refcnt_and_says_the_os_is_not_garden_linux()
    {
        foreach (var name in new[] { "nvidia", "nvidia_modeset", "nvidia_uvm", "nvidia_drm" })
        {
            Module(name, "580.159.04", refcnt: null);
        }

        Directory.CreateDirectory(root.Combine("etc"));
        File.WriteAllText(root.Combine("etc", "os-release"), "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\nVERSION_ID=\"24.04\"\n");

        var status = await NodeStatus.ReadAsync(new SysfsKernelModules(root.Path), new HostSettings(root.Path, root.Combine("cache"), "/opt/drivers"), verify: false, CancellationToken.None);

        status.Modules.Select(m => (m.Name, m.Version)).Should().BeEquivalentTo(new[]
        {
            ("nvidia", "580.159.04"), ("nvidia_modeset", "580.159.04"), ("nvidia_drm", "580.159.04"), ("nvidia_uvm", "580.159.04"),
        });
        status.Modules.Should().OnlyContain(m => !m.Unloadable);
        status.GardenlinuxVersion.Should().BeNull("Ubuntu's VERSION_ID is no Garden Linux version");
        status.Os.Should().EndWith("os-release is Ubuntu 24.04.1 LTS, not Garden Linux");
        status.Ready.Should().BeFalse();
    }
}
