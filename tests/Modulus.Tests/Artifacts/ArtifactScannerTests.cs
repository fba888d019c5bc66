using System.Security.Cryptography;
using System.Text;
using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Artifacts;

public sealed class ArtifactScannerTests
{
    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Lists_files_with_hash_size_mode_and_symlinks_with_their_targets_sorted_by_path()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("lib"));
        Directory.CreateDirectory(dir.Combine("bin"));
        await File.WriteAllTextAsync(dir.Combine("lib", "libx.so.1.2"), "library");
        File.CreateSymbolicLink(dir.Combine("lib", "libx.so.1"), "libx.so.1.2");
        await File.WriteAllTextAsync(dir.Combine("bin", "tool"), "#!/bin/sh\n");
        File.SetUnixFileMode(dir.Combine("bin", "tool"), (UnixFileMode)Convert.ToInt32("755", 8));
        await File.WriteAllTextAsync(dir.Combine(Manifest.FileName), "{}");

        var files = await ArtifactScanner.ScanFilesAsync(dir.Path, CancellationToken.None);

        files.Select(f => f.Path).Should().Equal("bin/tool", "lib/libx.so.1", "lib/libx.so.1.2");
        files[0].Mode.Should().Be("0755");
        files[0].Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("#!/bin/sh\n"))));
        files[1].Should().BeEquivalentTo(new FileEntry("lib/libx.so.1", null, 0, "0777", "libx.so.1.2"));
        files[2].Size.Should().Be(7);
    }

    [Fact]
    public void Refuses_a_file_that_is_not_elf()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("fake.ko"), "not an ELF file at all, but long enough to have a header of sixty-four bytes");

        FluentActions.Invoking(() => KernelModuleInfo.Read(dir.Combine("fake.ko")))
            .Should().Throw<InvalidDataException>().WithMessage("*fake.ko is not an ELF file");
    }

    [Theory]
    [InlineData("0755", 493)]
    [InlineData("0644", 420)]
    [InlineData("04755", 2541)]
    public void Formats_modes_in_octal(string text, int value) =>
        ArtifactScanner.FormatMode((UnixFileMode)value).Should().Be(text);
}
