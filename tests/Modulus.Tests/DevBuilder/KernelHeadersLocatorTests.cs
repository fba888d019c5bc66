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

    private string AddUsrSrcHeaders(string dir, string release)
    {
        var path = root.Combine("usr", "src", dir);
        Directory.CreateDirectory(Path.Combine(path, "include", "generated"));
        File.WriteAllText(Path.Combine(path, "include", "generated", "utsrelease.h"), $"#define UTS_RELEASE \"{release}\"\n");
        return path;
    }
}
