using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>The driver link and the judge of liveness that install and status share.</summary>
public sealed class DriverLinkTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private HostSettings Host => new(dir.Combine("host"), dir.Combine("host", "opt", "modulus", "cache"), "/opt/drivers");

    [Fact]
    public void Links_a_cache_entry_under_the_host_root_by_its_host_path_and_finds_it_again_from_here()
    {
        var link = new DriverLink(Host);
        var entry = dir.Combine("host", "opt", "modulus", "cache", "1877.3", "k", "nvidia-1-open-amd64");

        link.LiveEntry().Should().BeNull();
        link.Point(entry);

        link.Path.Should().Be(dir.Combine("host", "opt", "drivers", "nvidia"));
        link.HostPath.Should().Be("/opt/drivers/nvidia");
        link.Target.Should().Be("../modulus/cache/1877.3/k/nvidia-1-open-amd64", "relative: it names the same entry however the host is seen");
        link.LiveEntry().Should().Be(entry);
        link.LiveEntryOnHost().Should().Be("/opt/modulus/cache/1877.3/k/nvidia-1-open-amd64");
        link.PointsAt(entry).Should().BeTrue();
        link.PointsAt(entry + "-other").Should().BeFalse();
        link.HostLibraryDirectory(Modulus.Core.Artifacts.ArtifactLayout.For(2, "amd64")).Should().Be("/opt/drivers/nvidia/usr/lib/x86_64-linux-gnu");
        link.HostLibraryDirectory(Modulus.Core.Artifacts.ArtifactLayout.For(1, "amd64")).Should().Be("/opt/drivers/nvidia/lib");
    }

    [Fact]
    public void Reads_an_older_absolute_link_and_replaces_it_with_a_relative_one()
    {
        var entry = dir.Combine("host", "opt", "modulus", "cache", "1877.3", "k", "nvidia-1-open-amd64");
        Directory.CreateDirectory(dir.Combine("host", "opt", "drivers"));
        File.CreateSymbolicLink(dir.Combine("host", "opt", "drivers", "nvidia"), "/opt/modulus/cache/1877.3/k/nvidia-1-open-amd64");
        var link = new DriverLink(Host);

        link.LiveEntry().Should().Be(entry);
        link.Names(entry).Should().BeTrue();
        link.PointsAt(entry).Should().BeFalse("install relinks it in the form that works through any mount");
        link.Point(entry);
        link.Target.Should().Be("../modulus/cache/1877.3/k/nvidia-1-open-amd64");
    }

    [Fact]
    public void Swaps_itself_in_for_the_empty_directory_a_kubelet_made_at_the_driver_path()
    {
        var entry = dir.Combine("host", "opt", "modulus", "cache", "1877.3", "k", "nvidia-1-open-amd64");
        Directory.CreateDirectory(dir.Combine("host", "opt", "drivers", "nvidia"));
        var link = new DriverLink(Host);

        link.Point(entry);

        link.Target.Should().Be("../modulus/cache/1877.3/k/nvidia-1-open-amd64");
        Directory.GetFileSystemEntries(dir.Combine("host", "opt", "drivers")).Should().ContainSingle("the directory is gone, no temp name is left");
    }

    [Fact]
    public void Refuses_a_directory_with_content_a_file_or_a_symlink_on_the_way_and_changes_nothing()
    {
        var entry = dir.Combine("host", "opt", "modulus", "cache", "1877.3", "k", "nvidia-1-open-amd64");
        var driverPath = dir.Combine("host", "opt", "drivers", "nvidia");
        Directory.CreateDirectory(driverPath);
        File.WriteAllText(Path.Combine(driverPath, "README"), "another driver");

        FluentActions.Invoking(() => new DriverLink(Host).Point(entry)).Should().Throw<Modulus.Core.Errors.ModulusException>()
            .WithMessage("/opt/drivers/nvidia on the host is a directory with content*move it away (or choose another hostDriverPath)*");
        File.ReadAllText(Path.Combine(driverPath, "README")).Should().Be("another driver");

        Directory.Delete(dir.Combine("host", "opt", "drivers"), recursive: true);
        Directory.CreateDirectory(dir.Combine("elsewhere"));
        File.CreateSymbolicLink(dir.Combine("host", "opt", "drivers"), dir.Combine("elsewhere"));
        FluentActions.Invoking(() => new DriverLink(Host).Point(entry)).Should().Throw<Modulus.Core.Errors.ModulusException>()
            .WithMessage("/opt/drivers on the host is a symlink*does not follow links*");
        Directory.GetFileSystemEntries(dir.Combine("elsewhere")).Should().BeEmpty();
    }

    [Fact]
    public void Judges_live_by_the_modules_the_version_and_the_control_node()
    {
        var kernel = new FakeKernelModules(_ => "2.0");
        var devices = new FakeDeviceNodes();
        var live = new LiveDriver(kernel, devices, new DriverLink(Host));
        string[] required = ["nvidia", "nvidia_uvm"];

        live.WhyNotLive(required, "2.0", "/entry").Should().Be("not loaded: nvidia, nvidia_uvm");
        kernel.Loaded["nvidia"] = new LoadedModule("nvidia", "1.0", 1, []);
        kernel.Loaded["nvidia_uvm"] = new LoadedModule("nvidia_uvm", "1.0", 0, []);
        live.WhyNotLive(required, "2.0", "/entry").Should().Be("nvidia 1.0 is loaded, the linked artifact is 2.0");
        kernel.Loaded["nvidia"] = kernel.Loaded["nvidia"] with { Version = "2.0" };
        live.WhyNotLive(required, "2.0", "/entry").Should().Be("/dev/nvidiactl is missing");
        devices.Create("nvidiactl", 195, 255);
        live.WhyNotLive(required, "2.0", "/entry").Should().BeNull();
    }
}
