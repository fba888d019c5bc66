using Modulus.Install;

namespace Modulus.Tests.Install;

/// <summary>When a compressed module goes to the kernel as it is, and when modulus decompresses it first.</summary>
public sealed class NativeKernelTests
{
    [Theory]
    [InlineData("xz", "xz", true, true)] // trixie's 6.12, Garden Linux 2150: /sys/module/compression says xz
    [InlineData("zstd", "xz", true, false)] // the kernel decompresses only the format it was built for
    [InlineData("xz", null, true, false)] // Debian 12's 6.1, Garden Linux 1592/1877: no /sys/module/compression
    [InlineData("xz", null, false, true)] // /sys/module not readable here: only the kernel can tell
    public void Asks_the_kernel_only_where_it_says_it_decompresses_that_format_or_cannot_be_asked_otherwise(string format, string? kernel, bool known, bool askKernel) =>
        NativeKernel.AskKernel(format, kernel, known).Should().Be(askKernel);

    [Theory]
    [InlineData(95, true, true)] // EOPNOTSUPP: no CONFIG_MODULE_DECOMPRESS (kernel/module/internal.h)
    [InlineData(22, false, true)] // EINVAL from a kernel before 5.17, which does not know MODULE_INIT_COMPRESSED_FILE
    [InlineData(22, true, false)] // EINVAL where the kernel said it decompresses: the module's own error
    [InlineData(19, false, false)] // ENODEV and the rest: the module's own answer
    [InlineData(129, false, false)]
    public void Decompresses_itself_after_the_kernels_no_and_reports_every_other_error(int errno, bool known, bool decompress) =>
        NativeKernel.DecompressAfter(errno, known).Should().Be(decompress);
}
