namespace Modulus.Tests.Fixtures;

/// <summary>Makes a stand-in NVIDIA .run with tests/fixtures/make-fake-nvidia-run.sh.</summary>
public static class FakeNvidiaRunfile
{
    /// <param name="arch">NVIDIA's name for it: x86_64 or aarch64.</param>
    public static async Task<string> CreateAsync(string version, string outDir, string arch = "x86_64")
    {
        var (code, process) = await ChildProcess.RunAsync("sh", [Path.Combine(Repo.Fixtures, "make-fake-nvidia-run.sh"), version, outDir, arch], timeout: TestTimeouts.QuickSpan);
        code.Should().Be(0, process.Output);
        return process.Stdout.Trim();
    }
}
