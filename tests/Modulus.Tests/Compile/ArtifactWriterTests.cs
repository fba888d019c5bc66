using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Compile;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>Committing a build to the cache: only relative links that stay inside the artifact get a manifest.</summary>
public sealed class ArtifactWriterTests : IDisposable
{
    private const string Kernel = "6.12.47-cloud-amd64";
    private static readonly ArtifactKey Key = new("nvidia", "999.1.2", ModuleType.Open, "amd64", "1877.3", Kernel);
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>A build directory with one module whose .modinfo says it is for <see cref="Kernel"/> (gcc -c of a .modinfo section).</summary>
    private async Task<string> BuildDirAsync()
    {
        var build = dir.Combine("build", "job");
        var modules = Directory.CreateDirectory(Path.Combine(build, "lib", "modules", Kernel)).FullName;
        var source = dir.Combine("nvidia.c");
        await File.WriteAllTextAsync(source, $"__attribute__((section(\".modinfo\"), used)) static const char info[] = \"vermagic={Kernel} SMP mod_unload \\0name=nvidia\";\n");
        var (code, cc) = await ChildProcess.RunAsync("cc", ["-c", "-o", Path.Combine(modules, "nvidia.ko"), source], timeout: TestTimeouts.QuickSpan);
        code.Should().Be(0, cc.Output);
        var lib = Directory.CreateDirectory(Path.Combine(build, ArtifactLayout.Current("amd64").Libraries)).FullName;
        await File.WriteAllTextAsync(Path.Combine(lib, "libcuda.so.999.1.2"), "library");
        return build;
    }

    private static Task<(string Directory, Manifest Manifest)> CommitAsync(string cache, string build) =>
        new ArtifactWriter(NullLogger<ArtifactWriter>.Instance).CommitAsync(cache, build, Key, DriverKind.NvidiaRunfile,
            new BuildInfo("0.1.0", "local", "gcc", DateTimeOffset.UnixEpoch, 1), CancellationToken.None);

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Writes_a_schema_2_manifest_for_relative_soname_links()
    {
        var build = await BuildDirAsync();
        File.CreateSymbolicLink(Path.Combine(build, "usr", "lib", "x86_64-linux-gnu", "libcuda.so.1"), "libcuda.so.999.1.2");

        var (entry, manifest) = await CommitAsync(dir.Combine("cache"), build);

        manifest.SchemaVersion.Should().Be(Manifest.CurrentSchemaVersion);
        manifest.Files.Should().ContainSingle(f => f.LinkTarget != null).Which.Path.Should().Be("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        (await ManifestFile.ReadAsync(entry, CancellationToken.None)).Should().BeEquivalentTo(manifest);
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("/opt/modulus/cache/libcuda.so.999.1.2", "an absolute target")]
    [InlineData("../../../../../libcuda.so.999.1.2", "which does not resolve inside the artifact")]
    public async Task Refuses_a_build_with_a_link_that_is_absolute_or_leaves_the_artifact_and_leaves_no_entry(string target, string why)
    {
        var build = await BuildDirAsync();
        File.CreateSymbolicLink(Path.Combine(build, "usr", "lib", "x86_64-linux-gnu", "libcuda.so.1"), target);
        var cache = dir.Combine("cache");

        var commit = () => CommitAsync(cache, build);

        (await commit.Should().ThrowAsync<ModulusException>()).WithMessage(
            $"the build of {Key} is refused: 'usr/lib/x86_64-linux-gnu/libcuda.so.1' is a symlink to '{target}', {why}. An artifact may hold only relative symlinks*");
        Directory.Exists(new Modulus.Cache.HostCache(cache).EntryPath(Key)).Should().BeFalse();
        Directory.GetFileSystemEntries(Path.Combine(cache, ".staging")).Should().BeEmpty("nothing is left half-written");
    }
}
