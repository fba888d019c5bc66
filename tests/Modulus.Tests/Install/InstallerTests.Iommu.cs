using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>IOMMU passthrough: each NVIDIA GPU's group to identity before the modules load, through links as sysfs has them.</summary>
public sealed partial class InstallerTests
{
    /// <summary>
    /// The host's sysfs for GPU 0000:17:00.0 as the kernel lays it out: bus/pci/devices/&lt;bdf&gt; a relative link into
    /// devices/, its iommu_group a relative link to kernel/iommu_groups/&lt;n&gt;, whose type says <paramref name="type"/>.
    /// </summary>
    private string IommuGroup(string type, string? groupLink = null)
    {
        var sys = dir.Combine("host", "sys");
        var device = Path.Combine(sys, "devices", "pci0000:00", "0000:00:01.0", "0000:17:00.0");
        Directory.CreateDirectory(device);
        Directory.CreateDirectory(Path.Combine(sys, "bus", "pci", "devices"));
        File.CreateSymbolicLink(Path.Combine(sys, "bus", "pci", "devices", "0000:17:00.0"), "../../../devices/pci0000:00/0000:00:01.0/0000:17:00.0");
        var group = Path.Combine(sys, "kernel", "iommu_groups", "12");
        Directory.CreateDirectory(group);
        File.WriteAllText(Path.Combine(group, "type"), type + "\n");
        File.CreateSymbolicLink(Path.Combine(device, "iommu_group"), groupLink ?? "../../../../kernel/iommu_groups/12");
        return Path.Combine(group, "type");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Switches_the_gpus_iommu_group_to_identity_before_loading_and_loads_uvm_as_asked()
    {
        var type = IommuGroup("DMA");
        await PublishAsync("999.1.2");

        var outcome = await Installer().InstallAsync(Request() with { IommuPassthrough = true }, CancellationToken.None);

        (await File.ReadAllTextAsync(type)).Should().Be(IommuPassthrough.Identity);
        var steps = outcome.Steps.ToList();
        var iommu = steps.FindIndex(s => s.StartsWith("switch GPU 0000:17:00.0 (10de:2330)'s IOMMU group from DMA to identity", StringComparison.Ordinal));
        iommu.Should().BeGreaterThan(-1, string.Join("\n", steps));
        steps.FindIndex(s => s.StartsWith("load nvidia ", StringComparison.Ordinal)).Should().BeGreaterThan(iommu, "the group must change before the driver binds the GPU");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_dry_run_names_the_switch_and_changes_nothing_and_identity_already_is_left_alone()
    {
        var type = IommuGroup("DMA-FQ");
        await PublishAsync("999.1.2");

        var outcome = await Installer().InstallAsync(Request(dryRun: true) with { IommuPassthrough = true }, CancellationToken.None);

        outcome.Steps.Should().Contain(s => s.StartsWith("switch GPU 0000:17:00.0 (10de:2330)'s IOMMU group from DMA-FQ to identity", StringComparison.Ordinal));
        (await File.ReadAllTextAsync(type)).Should().Be("DMA-FQ\n");

        await File.WriteAllTextAsync(type, "identity\n");
        outcome = await Installer().InstallAsync(Request() with { IommuPassthrough = true }, CancellationToken.None);
        outcome.Steps.Should().NotContain(s => s.Contains("IOMMU", StringComparison.Ordinal));
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Off_it_leaves_the_group_as_it_is()
    {
        var type = IommuGroup("DMA");
        await PublishAsync("999.1.2");

        var outcome = await Installer().InstallAsync(Request() with { IommuPassthrough = false }, CancellationToken.None);

        (await File.ReadAllTextAsync(type)).Should().Be("DMA\n", "iommuPassthrough: false");
        outcome.Steps.Should().Contain(s => s.StartsWith("load nvidia ", StringComparison.Ordinal)).And.NotContain(s => s.Contains("IOMMU", StringComparison.Ordinal));
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_absolute_link_is_never_followed_and_the_install_goes_on()
    {
        // A link that names this container's own files (anything absolute) is not the host's.
        var decoy = dir.Combine("decoy");
        Directory.CreateDirectory(decoy);
        await File.WriteAllTextAsync(Path.Combine(decoy, "type"), "DMA\n");
        IommuGroup("DMA", groupLink: decoy);
        await PublishAsync("999.1.2");

        FluentActions.Invoking(() => IommuPassthrough.GroupTypeFile(dir.Combine("host"), "0000:17:00.0"))
            .Should().Throw<IOException>().WithMessage($"*iommu_group is a link to {decoy}, which is not under *refusing to follow it");
        var outcome = await Installer().InstallAsync(Request() with { IommuPassthrough = true }, CancellationToken.None);

        (await File.ReadAllTextAsync(Path.Combine(decoy, "type"))).Should().Be("DMA\n");
        outcome.Steps.Should().Contain(s => s.StartsWith("load nvidia ", StringComparison.Ordinal)).And.NotContain(s => s.Contains("IOMMU", StringComparison.Ordinal));
    }
}
