using Modulus.Core.Files;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Files;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Replaces_a_symlink_at_the_target_name_instead_of_writing_through_it()
    {
        var victim = dir.Combine("victim");
        File.WriteAllText(victim, "keep");
        var target = dir.Combine("state.json");
        File.CreateSymbolicLink(target, victim);

        AtomicFile.WriteAllText(target, "new");

        File.ReadAllText(victim).Should().Be("keep");
        new FileInfo(target).LinkTarget.Should().BeNull();
        File.ReadAllText(target).Should().Be("new");
        Directory.GetFiles(dir.Path).Select(Path.GetFileName).Should().BeEquivalentTo("victim", "state.json");
    }

    [Fact]
    public void Gives_the_mode_it_is_asked_for_whatever_the_umask()
    {
        var path = dir.Combine("secret");

        AtomicFile.WriteAllText(path, "x", UnixFileMode.UserRead | UnixFileMode.UserWrite);

        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        AtomicFile.WriteAllText(path, "y");
        File.GetUnixFileMode(path).Should().Be(AtomicFile.DefaultMode);
    }

    [Fact]
    public void Knows_its_temp_names_and_their_writer()
    {
        var temp = Path.GetFileName(AtomicFile.TempPathFor(dir.Combine("manifest.json")));

        temp.Should().StartWith(".manifest.json.tmp-" + Environment.ProcessId + "-");
        AtomicFile.IsTempName(temp).Should().BeTrue();
        AtomicFile.WriterOf(temp).Should().Be(Environment.ProcessId);
        AtomicFile.IsTempName(".tmp-0123456789abcdef").Should().BeTrue("file stores of 0.1 named their temp files so");
        AtomicFile.WriterOf(".tmp-0123456789abcdef").Should().BeNull();
        AtomicFile.IsTempName("manifest.json").Should().BeFalse();
    }

    [Fact]
    public void Points_a_symlink_elsewhere_in_one_rename()
    {
        var link = dir.Combine("nvidia");
        AtomicFile.ReplaceSymlink(link, "/a");
        AtomicFile.ReplaceSymlink(link, "../b");

        new FileInfo(link).LinkTarget.Should().Be("../b");
        Directory.GetFileSystemEntries(dir.Path).Should().ContainSingle();
    }
}
