using Modulus.Compile;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;

namespace Modulus.Tests.Compile;

public sealed class KernelSelectionTests
{
    // What dev-builder reports in the kmodbuild stand-in with the arm64 cross headers beside the amd64 ones.
    private static readonly ReadyInfo Twin = Ready(
        ("6.12.117+deb13-amd64", "amd64"), ("6.12.117+deb13-cloud-amd64", "amd64"),
        ("6.12.117+deb13-arm64", "arm64"), ("6.12.117+deb13-cloud-arm64", "arm64"));

    [Theory]
    [InlineData("6.12.47-cloud-amd64", "cloud")]
    [InlineData("6.18.12-cloud-arm64", "cloud")]
    [InlineData("6.12.47-firecracker-amd64", "firecracker")]
    [InlineData("6.12.72-amd64", "default")]
    [InlineData("6.12.117+deb13-amd64", "default")]
    [InlineData("6.12.117+deb13-cloud-amd64", "cloud")]
    [InlineData("6.1.0-57-amd64", "default")]
    [InlineData("6.1.0-57-cloud-amd64", "cloud")]
    [InlineData("6.18.0", "default")]
    public void Names_the_flavour_a_release_carries(string release, string flavour) =>
        KernelFlavours.Of(release).Should().Be(flavour);

    [Fact]
    public void Reads_a_flavour_list_with_metal_as_the_default_kernel()
    {
        KernelFlavours.Parse("cloud, metal,default").Should().Equal("cloud", "default");
        KernelFlavours.Parse("").Should().BeNull();
        KernelFlavours.Parse(null).Should().BeNull();
        FluentActions.Invoking(() => KernelFlavours.Parse("cloud,amd64/x")).Should().Throw<InvalidInputException>()
            .WithMessage("--kernel-flavours 'cloud,amd64/x': 'amd64/x' is not a kernel flavour*");
    }

    [Fact]
    public void Without_a_kernel_every_kernel_of_the_arch_is_built()
    {
        KernelSelection.Choose(null, null, "amd64", Twin).Should().Equal("6.12.117+deb13-amd64", "6.12.117+deb13-cloud-amd64");
        KernelSelection.Choose(null, null, "arm64", Twin).Should().Equal("6.12.117+deb13-arm64", "6.12.117+deb13-cloud-arm64");
    }

    [Fact]
    public void Flavours_pick_a_subset_and_a_flavour_the_image_lacks_is_an_error_that_lists_what_it_has()
    {
        KernelSelection.Choose(null, ["cloud"], "amd64", Twin).Should().Equal("6.12.117+deb13-cloud-amd64");
        KernelSelection.Choose(null, ["default"], "arm64", Twin).Should().Equal("6.12.117+deb13-arm64");

        FluentActions.Invoking(() => KernelSelection.Choose(null, ["cloud", "firecracker"], "amd64", Twin)).Should().Throw<InvalidInputException>()
            .WithMessage("--kernel-flavours cloud,firecracker: dev-builder has no firecracker kernel of amd64; it has: 6.12.117+deb13-amd64 (default, amd64), 6.12.117+deb13-cloud-amd64 (cloud, amd64)");
    }

    [Fact]
    public void A_named_kernel_must_exist_and_be_of_the_arch()
    {
        KernelSelection.Choose("6.12.117+deb13-cloud-arm64", null, "arm64", Twin).Should().Equal("6.12.117+deb13-cloud-arm64");
        FluentActions.Invoking(() => KernelSelection.Choose("6.12.117+deb13-cloud-arm64", null, "amd64", Twin)).Should().Throw<InvalidInputException>()
            .WithMessage("--kernel-version 6.12.117+deb13-cloud-arm64: its headers build arm64 modules, not amd64; pass --arch arm64");
        FluentActions.Invoking(() => KernelSelection.Choose("6.6.62-cloud-amd64", null, "amd64", Twin)).Should().Throw<InvalidInputException>()
            .WithMessage("--kernel-version 6.6.62-cloud-amd64: dev-builder has no headers for it; it has: 6.12.117+deb13-amd64 (default, amd64), *");
    }

    [Fact]
    public void No_headers_of_the_arch_is_an_error_that_says_which_arch_there_is()
    {
        var amd64Only = Ready(("6.12.117+deb13-amd64", "amd64"));

        FluentActions.Invoking(() => KernelSelection.Choose(null, null, "arm64", amd64Only)).Should().Throw<InvalidInputException>()
            .WithMessage("dev-builder has no headers of arm64 kernels (--arch arm64); it has: 6.12.117+deb13-amd64 (default, amd64). *");
        FluentActions.Invoking(() => KernelSelection.Choose(null, null, "amd64", Ready())).Should().Throw<InvalidInputException>()
            .WithMessage("dev-builder has no kernel headers at all*");
    }

    [Fact]
    public void Kernels_of_an_older_dev_builder_without_an_arch_count_as_any_arch() =>
        KernelSelection.Choose(null, null, "arm64", Ready(("6.1.0-57-amd64", null))).Should().Equal("6.1.0-57-amd64");

    private static ReadyInfo Ready(params (string Release, string? Arch)[] kernels) => new()
    {
        Version = "0.1.0", Pid = 1, Compiler = "gcc", HeartbeatIntervalSeconds = 5, StartedAt = DateTimeOffset.UnixEpoch,
        Kernels = [.. kernels.Select(k => new KernelHeaders(k.Release, "/usr/src/linux-headers-" + k.Release) { Arch = k.Arch })],
    };
}
