using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.DevBuilder.Recipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.DevBuilder;

public sealed class KernelToolchainTests : IDisposable
{
    // trixie's linux-headers-6.12.117+deb13-arm64 says this (Garden Linux builds its kernels from the same packaging).
    private const string Arm64Variables = """
        override ARCH = arm64
        override KERNELRELEASE = 6.12.117+deb13-arm64
        CCACHE = ccache
        CC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-14
        DEB_BUILD_ARCH ?= $(shell dpkg --print-architecture)
        override CROSS_COMPILE = aarch64-linux-gnu-
        override CROSS_COMPILE_COMPAT = arm-linux-gnueabihf-
        DEBIAN_KERNEL_NO_CC_VERSION_CHECK = y
        """;

    private readonly TempDirectory root = new();

    public void Dispose() => root.Dispose();

    [Fact]
    public void Native_headers_name_their_compiler_and_add_nothing_to_make()
    {
        var headers = Headers("6.12.117+deb13-amd64", "CONFIG_X86_64=y", Arm64Variables.Replace("arm64", "amd64").Replace("aarch64-linux-gnu-", "x86_64-linux-gnu-"));

        var toolchain = KernelToolchain.For(headers, "amd64");

        toolchain.Should().BeEquivalentTo(new { Arch = "amd64", Cross = false, CrossCompile = "x86_64-linux-gnu-", Compiler = "x86_64-linux-gnu-gcc-14" });
        toolchain.MakeVariables.Should().BeEmpty();
        toolchain.Tool("strip").Should().Be("strip");
    }

    [Fact]
    public void Foreign_headers_cross_compile_with_the_prefix_and_compiler_they_name()
    {
        var bin = FakeCompiler("aarch64-linux-gnu-gcc-14");
        var headers = Headers("6.12.117+deb13-arm64", "CONFIG_ARM64=y", Arm64Variables);

        var toolchain = KernelToolchain.For(headers, "amd64", bin);

        toolchain.Should().BeEquivalentTo(new { Arch = "arm64", Cross = true, CrossCompile = "aarch64-linux-gnu-", Compiler = "aarch64-linux-gnu-gcc-14" });
        toolchain.MakeVariables.Should().Equal("ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-");
        toolchain.Tool("strip").Should().Be("aarch64-linux-gnu-strip");
    }

    [Fact]
    public void Foreign_headers_without_kernelvariables_get_the_gnu_triplet()
    {
        var bin = FakeCompiler("aarch64-linux-gnu-gcc");
        var headers = Headers("6.18.0", "CONFIG_ARM64=y", variables: null);

        var toolchain = KernelToolchain.For(headers, "amd64", bin);

        toolchain.MakeVariables.Should().Equal("ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-");
        toolchain.Compiler.Should().Be("aarch64-linux-gnu-gcc");
    }

    [Fact]
    public void A_missing_cross_compiler_is_an_error_that_names_its_debian_package()
    {
        var headers = Headers("6.12.117+deb13-arm64", "CONFIG_ARM64=y", Arm64Variables);

        FluentActions.Invoking(() => KernelToolchain.For(headers, "amd64", root.Combine("empty"))).Should().Throw<ModulusException>()
            .WithMessage("the headers of kernel 6.12.117+deb13-arm64 (*) build arm64 modules with aarch64-linux-gnu-gcc-14, which this amd64 dev container does not have on its PATH. " +
                "Install Debian's cross compiler (gcc-14-aarch64-linux-gnu), or build in a kmodbuild image of arch arm64.");
    }

    [Fact]
    public void The_locator_reads_the_headers_arch_from_their_config()
    {
        Headers("6.12.117+deb13-arm64", "CONFIG_ARM64=y", Arm64Variables);
        Headers("6.12.117+deb13-amd64", "CONFIG_64BIT=y\nCONFIG_X86_64=y", null);

        new KernelHeadersLocator(root.Path).Discover().Select(k => (k.Release, k.Arch)).Should()
            .Equal(("6.12.117+deb13-amd64", "amd64"), ("6.12.117+deb13-arm64", "arm64"));
    }

    private KernelHeaders Headers(string release, string config, string? variables)
    {
        var dir = root.Combine("usr", "src", "linux-headers-" + release);
        Directory.CreateDirectory(Path.Combine(dir, "include", "generated"));
        File.WriteAllText(Path.Combine(dir, "include", "generated", "utsrelease.h"), $"#define UTS_RELEASE \"{release}\"\n");
        File.WriteAllText(Path.Combine(dir, ".config"), config + "\n");
        if (variables is not null)
        {
            File.WriteAllText(Path.Combine(dir, ".kernelvariables"), variables + "\n");
        }

        return new KernelHeaders(release, dir) { Arch = KernelHeadersLocator.ReadArch(dir) };
    }

    private string FakeCompiler(string name)
    {
        var bin = root.Combine("bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, name), "#!/bin/sh\n");
        return bin;
    }
}
