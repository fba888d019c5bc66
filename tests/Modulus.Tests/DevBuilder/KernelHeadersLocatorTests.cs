using Modulus.Core.Errors;
using Modulus.DevBuilder.Recipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.DevBuilder;

public sealed class KernelHeadersLocatorTests : IDisposable
{
    private readonly TempDirectory root = new();

    public void Dispose() => root.Dispose();

    [Fact]
    public void Finds_debian_style_headers_by_their_utsrelease_and_ignores_the_common_tree()
    {
        AddUsrSrcHeaders("linux-headers-6.1.0-56-amd64", "6.1.0-56-amd64");
        Directory.CreateDirectory(root.Combine("usr", "src", "linux-headers-6.1.0-56-common", "include"));

        var found = new KernelHeadersLocator(root.Path).Discover();

        found.Should().ContainSingle().Which.Release.Should().Be("6.1.0-56-amd64");
        new KernelHeadersLocator(root.Path).Select(null).Path.Should().Be(root.Combine("usr", "src", "linux-headers-6.1.0-56-amd64"));
    }

    [Fact]
    public void Finds_the_source_dir_of_split_headers_through_the_build_dirs_makefile_include()
    {
        var build = AddUsrSrcHeaders("linux-headers-6.1.0-57-amd64", "6.1.0-57-amd64");
        var common = AddSourceTree("linux-headers-6.1.0-57-common");
        File.WriteAllText(Path.Combine(build, "Makefile"), "include /usr/src/linux-headers-6.1.0-57-common/Makefile\n");

        var headers = new KernelHeadersLocator(root.Path).Select(null);

        headers.Path.Should().Be(build);
        headers.Source.Should().Be(common);
        headers.SourceOrPath.Should().Be(common);
    }

    [Fact]
    public void Finds_the_source_dir_through_a_source_link_or_lib_modules_source()
    {
        var build = AddUsrSrcHeaders("linux-headers-6.6.62-cloud-amd64", "6.6.62-cloud-amd64");
        var common = AddSourceTree("linux-headers-6.6.62-common");
        File.CreateSymbolicLink(Path.Combine(build, "source"), "/usr/src/linux-headers-6.6.62-common");
        var other = AddUsrSrcHeaders("linux-headers-6.6.63-cloud-amd64", "6.6.63-cloud-amd64");
        var otherCommon = AddSourceTree("linux-headers-6.6.63-common");
        Directory.CreateDirectory(root.Combine("lib", "modules", "6.6.63-cloud-amd64"));
        File.CreateSymbolicLink(root.Combine("lib", "modules", "6.6.63-cloud-amd64", "source"), "/usr/src/linux-headers-6.6.63-common");

        var locator = new KernelHeadersLocator(root.Path);

        locator.Select("6.6.62-cloud-amd64").Source.Should().Be(common);
        locator.Select("6.6.63-cloud-amd64").Should().BeEquivalentTo(new { Path = other, Source = otherCommon });
    }

    [Fact]
    public void Unsplit_headers_are_their_own_source()
    {
        var build = AddUsrSrcHeaders("linux-headers-6.6.62", "6.6.62");
        File.WriteAllText(Path.Combine(build, "Makefile"), "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\n");

        new KernelHeadersLocator(root.Path).Select(null).SourceOrPath.Should().Be(build);
    }

    [Fact]
    public void Follows_lib_modules_build_links_inside_the_sysroot()
    {
        var headers = AddUsrSrcHeaders("linux-headers-6.6.62-cloud-amd64", "6.6.62-cloud-amd64");
        Directory.CreateDirectory(root.Combine("lib", "modules", "6.6.62-cloud-amd64"));
        File.CreateSymbolicLink(root.Combine("lib", "modules", "6.6.62-cloud-amd64", "build"), "/usr/src/linux-headers-6.6.62-cloud-amd64");

        var found = new KernelHeadersLocator(root.Path).Discover();

        found.Should().ContainSingle().Which.Path.Should().Be(headers);
    }

    [Fact]
    public void Says_where_it_looked_when_there_are_no_headers() =>
        FluentActions.Invoking(() => new KernelHeadersLocator(root.Path).Select(null))
            .Should().Throw<ModulusException>()
            .WithMessage("no kernel headers in the dev environment: none found (looked for */lib/modules/*/build and */usr/src/linux-headers-*)*");

    [Fact]
    public void Lists_every_kernel_when_there_are_several_and_none_was_chosen()
    {
        AddUsrSrcHeaders("linux-headers-6.1.0-1-amd64", "6.1.0-1-amd64");
        AddUsrSrcHeaders("linux-headers-6.1.0-2-amd64", "6.1.0-2-amd64");

        FluentActions.Invoking(() => new KernelHeadersLocator(root.Path).Select(null))
            .Should().Throw<ModulusException>()
            .WithMessage("several kernels' headers in the dev environment: 6.1.0-1-amd64 (*), 6.1.0-2-amd64 (*). Pass --kernel-version*");
        new KernelHeadersLocator(root.Path).Select("6.1.0-2-amd64").Release.Should().Be("6.1.0-2-amd64");
    }

    [Fact]
    public void Names_what_it_has_when_the_requested_kernel_is_missing()
    {
        AddUsrSrcHeaders("linux-headers-6.1.0-1-amd64", "6.1.0-1-amd64");

        FluentActions.Invoking(() => new KernelHeadersLocator(root.Path).Select("6.6.0-9-amd64"))
            .Should().Throw<ModulusException>()
            .Where(e => e.ExitCode == ExitCodes.InvalidInput)
            .WithMessage("no kernel headers for 6.6.0-9-amd64 in the dev environment; it has: 6.1.0-1-amd64 (*");
    }

    /// <summary>A `-common` source tree: the kernel's own Makefile and headers, no utsrelease.h.</summary>
    private string AddSourceTree(string dir)
    {
        var path = root.Combine("usr", "src", dir);
        Directory.CreateDirectory(Path.Combine(path, "include", "linux"));
        File.WriteAllText(Path.Combine(path, "Makefile"), "VERSION = 6\n");
        File.WriteAllText(Path.Combine(path, "include", "linux", "stdarg.h"), "/* */\n");
        return path;
    }

    private string AddUsrSrcHeaders(string dir, string release)
    {
        var path = root.Combine("usr", "src", dir);
        Directory.CreateDirectory(Path.Combine(path, "include", "generated"));
        File.WriteAllText(Path.Combine(path, "include", "generated", "utsrelease.h"), $"#define UTS_RELEASE \"{release}\"\n");
        return path;
    }
}
