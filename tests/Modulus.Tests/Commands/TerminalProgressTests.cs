using System.Text.RegularExpressions;
using Modulus.Core.Artifacts;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Commands;

/// <summary>
/// Progress the way a person sees it: the real modulus binary publishing in a real terminal (tmux, 80 columns),
/// the raw output it drew and the screen it left, captured by tmux.
/// </summary>
public sealed partial class TerminalProgressTests(CompiledNvidiaArtifact artifact) : IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private readonly TempDirectory dir = new();
    private readonly string socket = "modulus-test-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        _ = Tmux("kill-server").GetAwaiter().GetResult();
        dir.Dispose();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Publish_draws_a_bar_that_fits_80_columns_and_leaves_one_clean_line_per_step()
    {
        var from = artifact.CopyTo(dir.Combine("publish"));
        var payload = new byte[96 << 20]; // random: gzip cannot shrink it, so packing takes a few seconds
        new Random(7).NextBytes(payload);
        await File.WriteAllBytesAsync(Path.Combine(from, "lib", "libnvidia-big.so.999.1.2"), payload);
        var manifest = await ManifestFile.ReadAsync(from, CancellationToken.None);
        await ManifestFile.WriteAsync(from, manifest with { Files = await ArtifactScanner.ScanFilesAsync(from, CancellationToken.None) }, CancellationToken.None);
        var raw = dir.Combine("raw.log");
        var script = dir.Combine("run.sh");
        await File.WriteAllTextAsync(script, $"""
            tmux -L {socket} wait-for go
            MODULUS_LOG_FORMAT=text '{Repo.Modulus}' publish --from '{from}' --store 'file://{dir.Combine("store")}' > '{dir.Combine("stdout.txt")}'
            echo "exit=$?"
            tmux -L {socket} wait-for -S finished
            exec cat
            """);

        (await Tmux("new-session", "-d", "-x", "80", "-y", "40", "-s", "publish", "-e", "TERM=xterm-256color", $"sh {script}")).Should().Be(0);
        (await Tmux("pipe-pane", "-o", "-t", "publish", $"cat >> '{raw}'")).Should().Be(0);
        var finished = Tmux("wait-for", "finished");
        (await Tmux("wait-for", "-S", "go")).Should().Be(0);
        (await finished).Should().Be(0);
        var (_, capture) = await ChildProcess.RunAsync("tmux", ["-L", socket, "capture-pane", "-p", "-J", "-t", "publish"]);

        var drawn = Ansi().Replace(await File.ReadAllTextAsync(raw), string.Empty);
        drawn.Should().Contain("pack ━").And.MatchRegex(@"\d+% ", "the bar shows the percentage")
            .And.MatchRegex(@"\d+(\.\d+)?/\d+(\.\d+)? MiB", "the bytes done of the total")
            .And.MatchRegex(@"[KMG]iB/s", "the rate").And.MatchRegex(@"\d\d:\d\d:\d\d\s", "and the time left");
        var screen = capture.Stdout.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        screen.Should().Contain("exit=0");
        screen.Where(l => l != "exit=0").Should().OnlyContain(l => LogLine().IsMatch(l), "nothing of the bar is left on the screen:\n" + capture.Stdout);
        screen.Count(l => l.Contains(" INF Pack nvidia-999.1.2", StringComparison.Ordinal) && l.Contains(" MiB in ", StringComparison.Ordinal)).Should().Be(1);
        screen.Should().NotContain(l => l.Contains(" INF Verify ", StringComparison.Ordinal), "publish hashes each file as it packs it: there is no verify pass before");
        screen.Should().ContainSingle(l => l.Contains(" INF Published ", StringComparison.Ordinal));
        (await File.ReadAllTextAsync(dir.Combine("stdout.txt"))).Should().StartWith("published nvidia-999.1.2-open-amd64", "results go to stdout, untouched by the bar");
    }

    private async Task<int> Tmux(params string[] arguments)
    {
        var (code, _) = await ChildProcess.RunAsync("tmux", ["-L", socket, .. arguments]);
        return code;
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d (VRB|DBG|INF|WRN|ERR|FTL) ")]
    private static partial Regex LogLine();
}
