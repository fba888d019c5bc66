using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>Two build-matrix entries run as their Jobs run them: compile with a store, twice; the second round skips.</summary>
public sealed class BuildMatrixIntegrationTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Builds_each_entry_once_and_skips_what_the_store_has_on_the_next_run()
    {
        var runfile = await FakeNvidiaRunfile.CreateAsync("999.1.2", dir.Combine("runs"));
        (string Gardenlinux, string Driver)[] entries = [("1592.3", "999.1.2"), ("1877.3", "999.1.2")];
        var store = "file://" + dir.Combine("store");

        foreach (var round in new[] { "built", "skipped" })
        {
            foreach (var (gl, driver) in entries)
            {
                var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-source", runfile, "--driver-version", driver,
                    "--gardenlinux-version", gl, "--module-type", "open", "--cache-dir", dir.Combine("cache"), "--store", store]);
                code.Should().Be(0, run.Output);
                run.Stdout.Should().StartWith($"{round} nvidia-{driver}-open-amd64 for Garden Linux {gl}, kernel {KernelUnderTest.Release}");
            }
        }

        var (listed, list) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", store]);
        listed.Should().Be(0, list.Output);
        list.Stdout.Split('\n').Count(l => l.Contains("999.1.2", StringComparison.Ordinal)).Should().Be(2);
    }
}
