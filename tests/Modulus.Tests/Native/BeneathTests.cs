using Modulus.Core.Files;
using Modulus.Core.Native;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Native;

/// <summary>Deleting below a directory others may write: links are removed themselves, never followed, on the way or inside.</summary>
public sealed class BeneathTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public BeneathTests()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "precious"), "the host's");
    }

    private string Root => dir.Combine("cache");

    private string Outside => dir.Combine("host-dir");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void A_tree_with_a_link_inside_goes_and_what_the_link_names_stays()
    {
        var entry = Path.Combine(Root, "1877.3", "6.12.47-cloud-amd64", "nvidia-1-open-amd64");
        Directory.CreateDirectory(Path.Combine(entry, "lib"));
        File.WriteAllText(Path.Combine(entry, "lib", "libcuda.so.1"), "x");
        File.CreateSymbolicLink(Path.Combine(entry, "lib", "planted"), Outside);

        Beneath.Delete(Root, "1877.3/6.12.47-cloud-amd64/nvidia-1-open-amd64");

        Directory.Exists(entry).Should().BeFalse();
        File.ReadAllText(Path.Combine(Outside, "precious")).Should().Be("the host's");
    }

    [Fact]
    public void A_link_on_the_way_is_refused_by_the_kernel_and_nothing_behind_it_is_touched()
    {
        Directory.CreateDirectory(Path.Combine(Root, "1877.3"));
        File.CreateSymbolicLink(Path.Combine(Root, "1877.3", "6.12.47-cloud-amd64"), Outside);
        Directory.CreateDirectory(Path.Combine(Outside, "nvidia-1-open-amd64"));

        FluentActions.Invoking(() => Beneath.Delete(Root, "1877.3/6.12.47-cloud-amd64/nvidia-1-open-amd64"))
            .Should().Throw<IOException>().WithMessage("*a symbolic link lies on the way, and it is not followed*");

        Directory.Exists(Path.Combine(Outside, "nvidia-1-open-amd64")).Should().BeTrue();
    }

    [Fact]
    public void A_link_as_the_target_is_removed_itself()
    {
        File.CreateSymbolicLink(Path.Combine(Root, ".staging"), Outside);

        Beneath.Delete(Root, ".staging");

        Path.Exists(Path.Combine(Root, ".staging")).Should().BeFalse();
        File.Exists(Path.Combine(Outside, "precious")).Should().BeTrue();
    }

    [Fact]
    public void What_is_gone_already_is_no_error_and_the_root_may_itself_be_a_link()
    {
        var linkedRoot = dir.Combine("cache-link");
        Directory.CreateSymbolicLink(linkedRoot, Root);
        Directory.CreateDirectory(Path.Combine(Root, "a", "b"));

        Beneath.Delete(linkedRoot, "a/b");
        Beneath.Delete(linkedRoot, "a/b");
        Beneath.Delete(linkedRoot, "x/y/z");

        Directory.Exists(Path.Combine(Root, "a", "b")).Should().BeFalse();
        Directory.Exists(Path.Combine(Root, "a")).Should().BeTrue();
    }

    [Theory]
    [InlineData("../host-dir")]
    [InlineData("a/../../host-dir")]
    [InlineData("")]
    public void A_path_that_climbs_out_is_refused_before_any_call(string relative) =>
        FluentActions.Invoking(() => Beneath.Delete(Root, relative)).Should().Throw<ArgumentException>();

    [Fact]
    public void A_write_beneath_makes_its_directories_and_file_with_explicit_modes()
    {
        AtomicFile.WriteBeneath(Root, "gardenlinux-1877.3/k/a/manifest.json", "{}"u8);

        File.ReadAllText(Path.Combine(Root, "gardenlinux-1877.3", "k", "a", "manifest.json")).Should().Be("{}");
        File.GetUnixFileMode(Path.Combine(Root, "gardenlinux-1877.3", "k", "a", "manifest.json")).Should().Be(AtomicFile.DefaultMode);
        File.GetUnixFileMode(Path.Combine(Root, "gardenlinux-1877.3")).Should().Be((UnixFileMode)0b111_101_101);
        Directory.GetFiles(Path.Combine(Root, "gardenlinux-1877.3", "k", "a")).Should().ContainSingle("the temp file was renamed, not left");
    }

    [Fact]
    public void A_write_through_a_linked_directory_is_refused_and_lands_nowhere()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "etc"), Outside);

        FluentActions.Invoking(() => AtomicFile.WriteBeneath(Root, "etc/ld.so.conf.d/nvidia.conf", "/x\n"u8))
            .Should().Throw<IOException>().WithMessage("*a symbolic link lies on the way, and it is not followed*");

        Directory.Exists(Path.Combine(Outside, "ld.so.conf.d")).Should().BeFalse();
    }

    [Fact]
    public void A_link_at_the_name_itself_is_replaced_and_its_target_is_not_written()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "last-install.json"), Path.Combine(Outside, "precious"));

        AtomicFile.WriteBeneath(Root, "last-install.json", "{}"u8);

        new FileInfo(Path.Combine(Root, "last-install.json")).LinkTarget.Should().BeNull();
        File.ReadAllText(Path.Combine(Outside, "precious")).Should().Be("the host's");
    }
}
