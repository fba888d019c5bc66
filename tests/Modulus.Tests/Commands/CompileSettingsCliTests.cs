using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Commands;

/// <summary>
/// An install that may compile (<c>--allow-compilation</c>) takes the compile options <c>compile</c> takes, with the
/// same checks: what <c>compile</c> refuses, the node's fallback compile refuses too, with the same words, before any work.
/// </summary>
public sealed class CompileSettingsCliTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    public static TheoryData<string[], string> Refused => new()
    {
        { ["--driver-source-sha256", "not-a-checksum"], "--driver-source-sha256 'not-a-checksum' is not valid: expected a SHA-256 checksum: 64 hex digits" },
        { ["--driver-source", "downloads/NVIDIA.run"], "--driver-source 'downloads/NVIDIA.run' is not valid: expected an absolute path" },
        { ["--module-signing-key", "/keys/signing.pem"], "--module-signing-key and --module-signing-cert go together: pass both or neither" },
        { ["--module-signing-key", "file:///keys/signing.pem", "--module-signing-cert", "/keys/signing.crt"], "--module-signing-key 'file:///keys/signing.pem' is not valid: expected an absolute path" },
        { ["--compression", "xz"], "--compression 'xz' is not valid: expected zstd or gzip" },
        { ["--ready-timeout", "0"], "--ready-timeout 0 is not valid: expected seconds, more than 0 to 86400" },
    };

    [Theory(Timeout = TestTimeouts.Quick)]
    [MemberData(nameof(Refused))]
    public async Task Install_with_allow_compilation_refuses_what_compile_refuses(string[] bad, string message)
    {
        string[] common = ["--local-builder", "--driver-version", "999.1.2", "--gardenlinux-version", "1877.3", "--kernel-version", "6.12.47-cloud-amd64", "--cache-dir", dir.Combine("cache")];

        var (compileCode, compile) = await ChildProcess.RunAsync(Repo.Modulus, ["compile", .. common, .. bad]);
        var (installCode, install) = await ChildProcess.RunAsync(Repo.Modulus,
            ["install", "--allow-compilation", "--host-root", dir.Combine("host"), "--dry-run", .. common, .. bad]);

        compileCode.Should().Be(2, compile.Output);
        compile.Stderr.Should().Contain(message);
        installCode.Should().Be(2, install.Output);
        install.Stderr.Should().Contain(message);
        Directory.Exists(dir.Combine("cache")).Should().BeFalse("nothing was done");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Install_with_allow_compilation_needs_one_dev_builder_like_compile()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus,
            ["install", "--allow-compilation", "--dry-run", "--driver-version", "999.1.2", "--gardenlinux-version", "1877.3", "--host-root", dir.Combine("host"), "--cache-dir", dir.Combine("cache")]);

        code.Should().Be(2, run.Output);
        run.Stderr.Should().Contain("pass exactly one of --cmd-dir DIR (attach to the dev container's dev-builder) and --local-builder (start one here)");
    }
}
