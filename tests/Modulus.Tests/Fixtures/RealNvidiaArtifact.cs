using Modulus.Core.Artifacts;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// The real 595.45.04 package compiled once per test class by the real `modulus compile --local-builder` (real
/// dev-builder, real FIFOs, real kbuild against this machine's split Debian headers) and published to a file store.
/// Nothing is built where the package is absent (the tests skip).
/// </summary>
public sealed class RealNvidiaArtifact : IAsyncLifetime
{
    public const string Gardenlinux = "1877.3";
    private readonly TempDirectory dir = new("modulus-real-nvidia-");

    public string Cache => dir.Combine("cache");

    public string Store => dir.Combine("store");

    public string Directory => Path.Combine(Cache, Gardenlinux, KernelUnderTest.Release, $"nvidia-{RealNvidiaPackage.Version}-open-amd64");

    public int ExitCode { get; private set; }

    public string Stdout { get; private set; } = string.Empty;

    public string Output { get; private set; } = string.Empty;

    public Manifest? Manifest { get; private set; }

    public async Task InitializeAsync()
    {
        if (!RealNvidiaPackage.Present)
        {
            return;
        }

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus,
            ["compile", "--local-builder", "--driver-kind", "nvidia-runfile", "--driver-source", "file://" + RealNvidiaPackage.Runfile,
             "--driver-source-sha256", RealNvidiaPackage.Sha256, "--driver-version", RealNvidiaPackage.Version,
             "--gardenlinux-version", Gardenlinux, "--module-type", "open", "--cache-dir", Cache, "--store", "file://" + Store],
            new Dictionary<string, string?> { ["MODULUS_LOG_FORMAT"] = "text" }, timeout: TimeSpan.FromMinutes(15));
        (ExitCode, Stdout, Output) = (code, run.Stdout, run.Output);
        if (code == 0)
        {
            Manifest = await ManifestFile.ReadAsync(Directory, CancellationToken.None);
        }
    }

    /// <summary>The manifest, or a failure that shows the whole compile output.</summary>
    public Manifest Built()
    {
        ExitCode.Should().Be(0, Output);
        return Manifest!;
    }

    public Task DisposeAsync()
    {
        dir.Dispose();
        return Task.CompletedTask;
    }
}
