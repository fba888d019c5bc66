using System.Security.Cryptography;
using System.Text.Json;
using Modulus.Core.Pipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>Hostile driver sources and killed processes around `modulus compile --local-builder`.</summary>
public sealed class BuildHardeningIntegrationTests : IDisposable
{
    private const string Secret = "root:$6$Th1sMustN0tLeak$hash:19000:0:99999:7:::";
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string[] Compile(string source, params string[] extra) =>
        ["compile", "--local-builder", "--driver-source", source, "--driver-version", "999.1.2", "--gardenlinux-version", "1877.3",
         "--module-type", "open", "--cache-dir", dir.Combine("cache"), .. extra];

    private string Shadow()
    {
        var path = dir.Combine("shadow");
        File.WriteAllText(path, Secret + "\nbin:*:19000:0:99999:7:::\n");
        return path;
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_file_that_is_not_a_makeself_run_is_refused_before_it_runs_and_its_content_never_shows()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, Compile("file://" + Shadow()));

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("does not look like NVIDIA's .run (a Makeself shell archive").And.Contain("so it is not run");
        run.Output.Should().NotContain("Th1sMustN0tLeak");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_source_run_because_its_checksum_was_given_fails_without_echoing_its_content()
    {
        var shadow = Shadow();
        var sha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(shadow)));

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, Compile(shadow, "--driver-source-sha256", sha));

        code.Should().Be(1, run.Output);
        run.Stderr.Should().Contain("its output is not shown, as it may repeat the file's content");
        run.Output.Should().NotContain("Th1sMustN0tLeak");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_relative_driver_source_is_an_input_error_before_any_work()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, Compile("downloads/NVIDIA-Linux-x86_64-999.1.2.run"));

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("--driver-source 'downloads/NVIDIA-Linux-x86_64-999.1.2.run' is not valid: expected an absolute path");
        Directory.Exists(dir.Combine("cache")).Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_killed_modulus_takes_its_local_dev_builder_and_the_whole_build_with_it()
    {
        var (marker, compile) = StartEndlessBuild();

        var ready = await ReadyAsync(compile, marker);
        Modulus.Core.Processes.NativeSignals.Kill(compile.Id, 9).Should().Be(0, "SIGKILL to modulus alone: it gets no chance to stop anything");
        await WaitGoneAsync(ready.Pid, marker);
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_killed_dev_builder_leaves_no_make_running()
    {
        var (marker, compile) = StartEndlessBuild();

        var ready = await ReadyAsync(compile, marker);
        Modulus.Core.Processes.NativeSignals.Kill(ready.Pid, 9).Should().Be(0);
        await WaitGoneAsync(ready.Pid, marker);
        (await compile.WaitForExitAsync(TestTimeouts.QuickSpan)).Should().Be(1, "modulus sees its dev-builder die");
        var leftWork = Directory.GetDirectories(Tmp, $"dev-builder-work-{ready.Pid}-*");
        leftWork.Should().NotBeEmpty("a SIGKILLed dev-builder cannot clean up after itself");

        var (next, run) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", Repo.Module("hello"),
            "--driver-version", "1.0", "--gardenlinux-version", "1877.3", "--cache-dir", dir.Combine("cache")], PrivateTmp());

        next.Should().Be(0, run.Output);
        leftWork.Should().OnlyContain(d => !Directory.Exists(d), "the next dev-builder removes the work dirs of dev-builders that are gone");
    }

    /// <summary>A kbuild module whose Makefile never finishes (it runs a sleep with a unique argument while kbuild reads it).</summary>
    private (string Marker, ChildProcess Compile) StartEndlessBuild()
    {
        var marker = $"86400.{Random.Shared.Next(100000, 999999)}";
        var src = dir.Combine("endless");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "Makefile"), $"obj-m := endless.o\nIGNORED := $(shell sleep {marker})\n");
        File.WriteAllText(Path.Combine(src, "endless.c"), "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n");
        var compile = ChildProcess.Start(Repo.Modulus, ["compile", "--local-builder", "--driver-kind", "kbuild", "--driver-source", src, "--driver-version", "1.0",
            "--gardenlinux-version", "1877.3", "--cache-dir", dir.Combine("cache")], PrivateTmp());
        return (marker, compile);
    }

    /// <summary>
    /// This test's own TMPDIR, so that its dev-builders' work dirs are theirs alone: a dev-builder that another test
    /// starts meanwhile removes the work dirs of dev-builders that are gone, from the shared /tmp too.
    /// </summary>
    private string Tmp => dir.Combine("tmp");

    private Dictionary<string, string?> PrivateTmp()
    {
        Directory.CreateDirectory(Tmp);
        return new() { ["TMPDIR"] = Tmp };
    }

    /// <summary>dev-builder's ready file, once the build's marked sleep runs.</summary>
    private static async Task<ReadyInfo> ReadyAsync(ChildProcess compile, string marker)
    {
        await compile.WaitForLineAsync("build: $ make", TimeSpan.FromMilliseconds(TestTimeouts.Quick));
        var line = compile.Output.Split('\n').First(l => l.Contains("Waiting up to", StringComparison.Ordinal));
        var readyFile = line[(line.IndexOf("ready file ", StringComparison.Ordinal) + "ready file ".Length)..].Trim();
        var ready = JsonSerializer.Deserialize<ReadyInfo>(await File.ReadAllBytesAsync(readyFile), ProtocolJson.Options)!;
        await UntilAsync(() => Processes(marker).Count > 0, "the endless build's sleep to start");
        return ready;
    }

    /// <summary>Waits (bounded) until dev-builder and every process running the marked sleep are gone (or zombies).</summary>
    private static Task WaitGoneAsync(int devBuilder, string marker) =>
        UntilAsync(() => !Alive(devBuilder) && Processes(marker).Count == 0, $"dev-builder (pid {devBuilder}) and the build's processes to be gone");

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            deadline.IsCancellationRequested.Should().BeFalse($"waited 20 s for {what}");
            await Task.Delay(100, CancellationToken.None); // polls a condition, bounded by the deadline
        }
    }

    private static bool Alive(int pid) => TryRead($"/proc/{pid}/stat") is { Length: > 0 } stat && !stat.Contains(") Z ", StringComparison.Ordinal);

    private static List<int> Processes(string marker) =>
    [
        .. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => p!.All(char.IsAsciiDigit)).Select(int.Parse!)
            .Where(pid => TryRead($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal) && Alive(pid)),
    ];

    private static string TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
