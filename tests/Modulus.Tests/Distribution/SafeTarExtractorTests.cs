using System.Formats.Tar;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Distribution;

/// <summary>Crafted tarballs that a fetch must refuse, and the ordinary ones it must take.</summary>
public sealed class SafeTarExtractorTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static MemoryStream Tar(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private static PaxTarEntry File(string name, string content = "data", UnixFileMode mode = (UnixFileMode)0x1A4) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Mode = mode };

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    /// <summary>A manifest listing that matches the entries exactly, so only the structural rules can refuse them.</summary>
    private static List<Modulus.Core.Artifacts.FileEntry> Listing(TarEntry[] entries) =>
    [
        .. entries.Where(e => e.EntryType is TarEntryType.RegularFile or TarEntryType.SymbolicLink).Select(e =>
        {
            if (e.EntryType == TarEntryType.SymbolicLink)
            {
                return new Modulus.Core.Artifacts.FileEntry(e.Name, null, 0, "0777", e.LinkName);
            }

            var data = ((MemoryStream)e.DataStream!).ToArray();
            return new Modulus.Core.Artifacts.FileEntry(e.Name, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), data.Length,
                Modulus.Core.Artifacts.ArtifactScanner.FormatMode(e.Mode & (UnixFileMode)0x1FF), null);
        }).DistinctBy(f => f.Path),
    ];

    public static TheoryData<string, TarEntry[], string> Malicious() => new()
    {
        { "absolute path", [File("/etc/cron.d/evil")], "refusing tar entry '/etc/cron.d/evil': it is an absolute or malformed path" },
        { "dot-dot", [File("lib/../../escape")], "refusing tar entry 'lib/../../escape': it has '..', '.' or empty path segments" },
        { "symlink outside", [Link(TarEntryType.SymbolicLink, "lib/evil", "../../../etc/shadow")], "refusing tar entry 'lib/evil': it is a symlink to '../../../etc/shadow', outside the artifact" },
        { "absolute symlink", [Link(TarEntryType.SymbolicLink, "lib/evil", "/etc/shadow")], "refusing tar entry 'lib/evil': it is a symlink to '/etc/shadow', outside the artifact" },
        { "hard link", [File("bin/a"), Link(TarEntryType.HardLink, "bin/b", "/etc/passwd")], "refusing tar entry 'bin/b': it is a hard link (to '/etc/passwd'); artifacts carry no hard links" },
        { "character device", [new PaxTarEntry(TarEntryType.CharacterDevice, "dev/nvidia0") { DeviceMajor = 195 }], "refusing tar entry 'dev/nvidia0': it is a device node" },
        { "block device", [new PaxTarEntry(TarEntryType.BlockDevice, "dev/sda") { DeviceMajor = 8 }], "refusing tar entry 'dev/sda': it is a device node" },
        { "fifo", [new PaxTarEntry(TarEntryType.Fifo, "run/pipe")], "refusing tar entry 'run/pipe': it is a FIFO" },
        { "setuid", [File("bin/nvidia-smi", mode: (UnixFileMode)0x9ED)], "refusing tar entry 'bin/nvidia-smi': it has the setuid or setgid bit" },
        { "setgid", [File("bin/nvidia-smi", mode: (UnixFileMode)0x5ED)], "refusing tar entry 'bin/nvidia-smi': it has the setuid or setgid bit" },
        { "write through symlink", [Link(TarEntryType.SymbolicLink, "lib/dir", "."), File("lib/dir/x")], "refusing tar entry 'lib/dir/x': it would be written through a symlink" },
        { "repeated name", [File("bin/a"), File("bin/a", "other")], "refusing tar entry 'bin/a': it appears twice" },
    };

    [Theory(Timeout = TestTimeouts.Quick)]
    [MemberData(nameof(Malicious))]
    public async Task Refuses_a_crafted_entry(string why, TarEntry[] entries, string message)
    {
        var root = dir.Combine(why.Replace(' ', '-'));
        Directory.CreateDirectory(root);

        var act = () => SafeTarExtractor.ExtractAsync(Tar(entries), root, Listing(entries), CancellationToken.None);

        (await act.Should().ThrowAsync<IntegrityException>()).WithMessage(message);
        System.IO.File.Exists("/etc/cron.d/evil").Should().BeFalse();
        Directory.Exists(dir.Combine("escape")).Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Extracts_files_with_their_modes_contents_and_inside_symlinks()
    {
        var root = dir.Combine("ok");
        Directory.CreateDirectory(root);

        TarEntry[] entries = [Link(TarEntryType.SymbolicLink, "lib/libx.so.1", "libx.so.1.2"), File("lib/libx.so.1.2", "lib"), File("bin/tool", "#!", (UnixFileMode)0x1ED)];
        var extracted = await SafeTarExtractor.ExtractAsync(Tar(entries), root, Listing(entries), CancellationToken.None);

        extracted.Keys.Should().BeEquivalentTo("lib/libx.so.1", "lib/libx.so.1.2", "bin/tool");
        extracted["bin/tool"].Mode.Should().Be((UnixFileMode)0x1ED);
        System.IO.File.GetUnixFileMode(Path.Combine(root, "bin", "tool")).Should().Be((UnixFileMode)0x1ED);
        new FileInfo(Path.Combine(root, "lib", "libx.so.1")).LinkTarget.Should().Be("libx.so.1.2");
        System.IO.File.ReadAllText(Path.Combine(root, "lib", "libx.so.1.2")).Should().Be("lib");
        extracted["lib/libx.so.1.2"].Size.Should().Be(3);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_staging_dir_swapped_for_a_link_after_it_was_opened_gets_every_write_and_the_link_none()
    {
        var outside = dir.Combine("host-dir");
        Directory.CreateDirectory(outside);
        var staging = dir.Combine(".entry.fetch-1");
        Directory.CreateDirectory(staging);
        using var handle = Modulus.Core.Native.DirectoryHandle.Open(staging, string.Empty);

        // Another writer of the cache renames the staging dir away and plants a link to a host dir at its name.
        Directory.Move(staging, dir.Combine("moved"));
        Directory.CreateSymbolicLink(staging, outside);
        TarEntry[] entries = [File("lib/modules/nvidia.ko", "elf"), Link(TarEntryType.SymbolicLink, "lib/libx.so", "libx.so.1"), File("bin/tool", "#!", (UnixFileMode)0x1ED)];
        await SafeTarExtractor.ExtractAsync(Tar(entries), handle, Listing(entries), CancellationToken.None);

        Directory.EnumerateFileSystemEntries(outside).Should().BeEmpty();
        System.IO.File.ReadAllText(dir.Combine("moved", "lib", "modules", "nvidia.ko")).Should().Be("elf");
        System.IO.File.GetUnixFileMode(dir.Combine("moved", "bin", "tool")).Should().Be((UnixFileMode)0x1ED);
        new FileInfo(dir.Combine("moved", "lib", "libx.so")).LinkTarget.Should().Be("libx.so.1");
    }
}
