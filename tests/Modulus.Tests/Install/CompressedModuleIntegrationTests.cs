using Modulus.Core.Artifacts;
using Modulus.Install;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// Real compressed kernel modules: Debian trixie's own drm.ko.xz (its kernel build compressed it), Debian 12's
/// drm.ko recompressed by .ci/install-vm-kernels.sh as Garden Linux's are, and the same module compressed with the
/// zstd and gzip tools the way the kernel's `make modules_install` does (scripts/Makefile.modinst).
/// </summary>
public sealed class CompressedModuleIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new("modulus-compressed-");

    public void Dispose() => dir.Dispose();

    private static string InTree(VmKernel kernel, string name) =>
        Path.Combine(kernel.ModuleTree, File.ReadLines(Path.Combine(kernel.ModuleTree, "modules.dep"))
            .Select(l => l.Split(':')[0]).Single(p => HostModuleIndex.NameOf(p) == name));

    /// <summary>The module as `xz -dc` gives it: the reference the decompressed image must equal.</summary>
    private async Task<string> PlainAsync(string xz, string name)
    {
        var plain = dir.Combine(name + ".ko");
        var (code, run) = await ChildProcess.RunAsync("sh", ["-c", $"xz -dc '{xz}' > '{plain}'"]);
        code.Should().Be(0, run.Output);
        return plain;
    }

    private async Task<string> CompressAsync(string plain, string command, string suffix)
    {
        var target = dir.Combine(Path.GetFileName(plain) + suffix);
        var (code, run) = await ChildProcess.RunAsync("sh", ["-c", $"{command} < '{plain}' > '{target}'"]);
        code.Should().Be(0, run.Output);
        return target;
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Decompresses_the_ko_xz_that_debians_kernel_build_made_and_the_one_recompressed_like_garden_linux_to_the_exact_module()
    {
        foreach (var kernel in new[] { VmKernel.Trixie, VmKernel.Debian12 })
        {
            var xz = InTree(kernel, "drm");
            xz.Should().EndWith("/drm.ko.xz", $"{kernel}'s in-tree modules are .ko.xz");
            CompressedModule.FormatOf(xz).Should().Be("xz");

            var image = CompressedModule.Decompress(xz, "xz");

            image.Should().Equal(await File.ReadAllBytesAsync(await PlainAsync(xz, kernel.Name)), "the image is what xz -d gives");
            var written = dir.Combine(kernel.Name + "-drm.ko");
            await File.WriteAllBytesAsync(written, image);
            var info = KernelModuleInfo.Read(written);
            info.Name.Should().Be("drm");
            info.KernelRelease.Should().Be(kernel.Release);
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Decompresses_a_module_compressed_with_zstd_and_gzip_as_modules_install_does()
    {
        var plain = await PlainAsync(InTree(VmKernel.Trixie, "drm"), "drm");
        var expected = await File.ReadAllBytesAsync(plain);
        foreach (var (command, suffix, format) in new[] { ("zstd -q -T0", ".zst", "zstd"), ("gzip -n -9", ".gz", "gzip") })
        {
            var compressed = await CompressAsync(plain, command, suffix);

            CompressedModule.FormatOf(compressed).Should().Be(format);
            CompressedModule.Decompress(compressed, format).Should().Equal(expected, $"{command} round trip");
        }

        CompressedModule.FormatOf(plain).Should().BeNull("a plain ELF module goes to finit_module as it is");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Tells_the_format_from_the_bytes_not_the_name_and_refuses_a_file_that_is_no_module()
    {
        var plain = await PlainAsync(InTree(VmKernel.Trixie, "drm"), "drm");
        var misnamed = dir.Combine("drm.ko.xz");
        File.Copy(plain, misnamed);
        var text = dir.Combine("notes.ko.xz");
        await File.WriteAllTextAsync(text, "not a module\n");

        CompressedModule.FormatOf(misnamed).Should().BeNull("an uncompressed module named .ko.xz is still a plain module, as kmod sees it");
        var refused = () => CompressedModule.FormatOf(text);
        refused.Should().Throw<IOException>().WithMessage($"{text} is not a kernel module: it is neither an ELF file nor xz-, zstd- or gzip-compressed (its first bytes are 6E6F74206120)*reinstall the kernel package*");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_damaged_or_truncated_module_is_refused_naming_the_file_and_what_to_do()
    {
        var plain = await PlainAsync(InTree(VmKernel.Trixie, "drm"), "drm");
        var damaged = dir.Combine("damaged.ko.xz");
        var bytes = await File.ReadAllBytesAsync(InTree(VmKernel.Trixie, "drm"));
        bytes[bytes.Length / 2] ^= 0x55;
        await File.WriteAllBytesAsync(damaged, bytes);
        var zst = await CompressAsync(plain, "zstd -q", ".zst");
        var truncated = dir.Combine("truncated.ko.zst");
        await File.WriteAllBytesAsync(truncated, (await File.ReadAllBytesAsync(zst))[..(int)(new FileInfo(zst).Length / 2)]);

        foreach (var (path, format) in new[] { (damaged, "xz"), (truncated, "zstd") })
        {
            var decompress = () => CompressedModule.Decompress(path, format);
            decompress.Should().Throw<IOException>().Which.Message.Should().StartWith($"decompressing {path} ({format}) failed: ")
                .And.EndWith("The file is damaged or truncated; reinstall the kernel package that owns it.");
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Stops_at_the_size_cap_instead_of_filling_memory()
    {
        // 300 MiB of zeros compress to a few KiB: what a decompression bomb looks like.
        var bomb = dir.Combine("bomb.ko.zst");
        var (code, run) = await ChildProcess.RunAsync("sh", ["-c", $"head -c {300 << 20} /dev/zero | zstd -q -1 > '{bomb}'"]);
        code.Should().Be(0, run.Output);
        new FileInfo(bomb).Length.Should().BeLessThan(1 << 20);

        var decompress = () => CompressedModule.Decompress(bomb, "zstd");

        decompress.Should().Throw<IOException>().WithMessage($"{bomb} decompresses to more than 256 MiB, more than any kernel module takes; it was not loaded.*");
    }
}
