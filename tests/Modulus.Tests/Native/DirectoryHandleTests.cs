using Modulus.Core.Native;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Native;

/// <summary>
/// Writes relative to an open directory: a directory swapped for a link after it was opened, or renamed away, cannot
/// send a write anywhere else; no existing name is written through; modes are what was asked, not what the umask leaves.
/// </summary>
public sealed class DirectoryHandleTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public DirectoryHandleTests()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
    }

    private string Root => dir.Combine("cache");

    private string Outside => dir.Combine("host-dir");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void A_subdirectory_swapped_for_a_link_after_the_parent_was_opened_is_refused()
    {
        using var cache = DirectoryHandle.Open(Root, string.Empty);
        cache.CreateDirectory(".staging").Dispose();
        Directory.Delete(Path.Combine(Root, ".staging"));
        File.CreateSymbolicLink(Path.Combine(Root, ".staging"), Outside);

        FluentActions.Invoking(() => cache.OpenDirectory(".staging")).Should().Throw<IOException>()
            .WithMessage("*.staging: a symbolic link lies on the way, and it is not followed*");
        FluentActions.Invoking(() => cache.CreateDirectory(".staging")).Should().Throw<IOException>();
        Directory.EnumerateFileSystemEntries(Outside).Should().BeEmpty();
    }

    [Fact]
    public void A_directory_renamed_away_after_it_was_opened_keeps_getting_the_writes_and_the_link_at_its_name_none()
    {
        using var staging = DirectoryHandle.Open(Root, ".staging/entry");
        Directory.Move(Path.Combine(Root, ".staging"), dir.Combine("moved"));
        Directory.CreateDirectory(Path.Combine(Root, ".staging"));
        File.CreateSymbolicLink(Path.Combine(Root, ".staging", "entry"), Outside);

        using (var file = staging.CreateFile("manifest.json", (UnixFileMode)0b110_100_100))
        {
            file.Write("{}"u8);
        }

        staging.CreateDirectory("lib").Dispose();
        staging.CreateSymlink("libcuda.so", "lib/libcuda.so.1");

        Directory.EnumerateFileSystemEntries(Outside).Should().BeEmpty();
        File.ReadAllText(dir.Combine("moved", "entry", "manifest.json")).Should().Be("{}");
        Directory.Exists(dir.Combine("moved", "entry", "lib")).Should().BeTrue();
        new FileInfo(dir.Combine("moved", "entry", "libcuda.so")).LinkTarget.Should().Be("lib/libcuda.so.1");
        staging.Names().Should().BeEquivalentTo("manifest.json", "lib", "libcuda.so");
    }

    [Fact]
    public void A_new_file_never_opens_an_existing_name_or_a_link()
    {
        var victim = Path.Combine(Outside, "precious");
        File.WriteAllText(victim, "the host's");
        File.CreateSymbolicLink(Path.Combine(Root, "last-install.json"), victim);
        File.WriteAllText(Path.Combine(Root, "there"), "old");
        using var cache = DirectoryHandle.Open(Root, string.Empty);

        FluentActions.Invoking(() => cache.CreateFile("last-install.json", (UnixFileMode)0b110_100_100)).Should().Throw<IOException>();
        FluentActions.Invoking(() => cache.CreateFile("there", (UnixFileMode)0b110_100_100)).Should().Throw<IOException>()
            .WithMessage($"cannot create {Path.Combine(Root, "there")}: *");

        File.ReadAllText(victim).Should().Be("the host's");
        File.ReadAllText(Path.Combine(Root, "there")).Should().Be("old");
    }

    [Fact]
    public void Modes_are_the_ones_asked_for_not_what_the_umask_leaves()
    {
        using var cache = DirectoryHandle.Open(Root, string.Empty);
        const UnixFileMode all = (UnixFileMode)0b111_111_111;

        cache.CreateDirectory("open", all).Dispose();
        cache.CreateFile("shared", (UnixFileMode)0b110_110_110).Dispose();
        cache.CreateDirectory("made").Dispose();

        File.GetUnixFileMode(Path.Combine(Root, "open")).Should().Be(all, "umask 022 would have left 0755");
        File.GetUnixFileMode(Path.Combine(Root, "shared")).Should().Be((UnixFileMode)0b110_110_110);
        File.GetUnixFileMode(Path.Combine(Root, "made")).Should().Be(DirectoryHandle.DirectoryMode);
    }

    [Fact]
    public void Moves_and_swaps_between_two_directories_and_deletes_a_link_as_itself()
    {
        using var staging = DirectoryHandle.Open(Root, ".staging");
        using var entries = DirectoryHandle.Open(Root, "1877.3/6.12.47-cloud-amd64");
        staging.CreateDirectory("new").CreateFile("v", (UnixFileMode)0b110_100_100).Dispose();
        entries.CreateDirectory("nvidia").CreateFile("old", (UnixFileMode)0b110_100_100).Dispose();

        staging.TryExchange("new", entries, "nvidia").Should().BeTrue("tmpfs and ext4 know RENAME_EXCHANGE");
        File.Exists(Path.Combine(Root, "1877.3/6.12.47-cloud-amd64/nvidia/v")).Should().BeTrue();
        File.Exists(Path.Combine(Root, ".staging/new/old")).Should().BeTrue();

        staging.Delete("new");
        entries.MoveTo("nvidia", staging, "back");
        File.Exists(Path.Combine(Root, ".staging/back/v")).Should().BeTrue();

        File.WriteAllText(Path.Combine(Outside, "precious"), "the host's");
        File.CreateSymbolicLink(Path.Combine(Root, ".staging", "planted"), Outside);
        staging.Delete("planted");
        staging.Contains("planted").Should().BeFalse();
        File.ReadAllText(Path.Combine(Outside, "precious")).Should().Be("the host's");
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void A_name_is_one_plain_component(string name)
    {
        using var cache = DirectoryHandle.Open(Root, string.Empty);

        FluentActions.Invoking(() => cache.CreateDirectory(name)).Should().Throw<ArgumentException>().WithMessage("*is not one plain name in*");
    }
}
