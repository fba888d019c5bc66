namespace Modulus.Tests.Fixtures;

/// <summary>Makes a stand-in NVIDIA .run with tests/fixtures/make-fake-nvidia-run.sh.</summary>
public static class FakeNvidiaRunfile
{
    public static async Task<string> CreateAsync(string version, string outDir)
    {
        var (code, process) = await ChildProcess.RunAsync("sh", [Path.Combine(Repo.Fixtures, "make-fake-nvidia-run.sh"), version, outDir], timeout: TestTimeouts.QuickSpan);
        code.Should().Be(0, process.Output);
        return process.Stdout.Trim();
    }
}
