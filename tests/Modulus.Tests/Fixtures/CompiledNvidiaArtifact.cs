namespace Modulus.Tests.Fixtures;

/// <summary>
/// One stand-in NVIDIA artifact (modules, programs, libraries with soname links, firmware) compiled once per test
/// class by the real modulus; tests publish copies of it.
/// </summary>
public sealed class CompiledNvidiaArtifact : IAsyncLifetime
{
    public const string Version = "999.1.2";
    public const string Gardenlinux = "1877.3";
    private readonly TempDirectory dir = new("modulus-artifact-");

    public string Directory => Path.Combine(dir.Path, "cache", Gardenlinux, KernelUnderTest.Release, $"nvidia-{Version}-open-amd64");

    public string ArtifactPath => $"gardenlinux-{Gardenlinux}/{KernelUnderTest.Release}/nvidia-{Version}-open-amd64";

    public async Task InitializeAsync()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync(Version, dir.Combine("runs"));
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", Version,
            "--gardenlinux-version", Gardenlinux, "--module-type", "open", "--cache-dir", dir.Combine("cache")]);
        code.Should().Be(0, run.Output);
    }

    /// <summary>A private copy of the artifact directory (publish rewrites its manifest).</summary>
    public string CopyTo(string parent)
    {
        var target = Path.Combine(parent, Path.GetFileName(Directory));
        Modulus.DevBuilder.Recipes.RecipeSteps.CopyTree(Directory, target);
        return target;
    }

    /// <summary>A private copy whose firmware differs by <paramref name="variant"/>, its manifest rescanned: the same key, another blob.</summary>
    public async Task<string> VariantAsync(string parent, int variant)
    {
        var copy = CopyTo(parent);
        var firmware = System.IO.Directory.GetFiles(Path.Combine(copy, "lib", "firmware"), "*.bin", SearchOption.AllDirectories)[0];
        await File.AppendAllTextAsync(firmware, $"variant {variant}");
        var manifest = await Modulus.Core.Artifacts.ManifestFile.ReadAsync(copy, CancellationToken.None);
        await Modulus.Core.Artifacts.ManifestFile.WriteAsync(copy, manifest with { Files = await Modulus.Core.Artifacts.ArtifactScanner.ScanFilesAsync(copy, CancellationToken.None), Blob = null }, CancellationToken.None);
        return copy;
    }

    public Task DisposeAsync()
    {
        dir.Dispose();
        return Task.CompletedTask;
    }
}
