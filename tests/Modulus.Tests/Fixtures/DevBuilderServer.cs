using System.Text.Json;
using Modulus.Core.Pipes;

namespace Modulus.Tests.Fixtures;

/// <summary>A real dev-builder process serving a private cmd dir, with fast heartbeats.</summary>
public sealed class DevBuilderServer : IAsyncLifetime
{
    private readonly TempDirectory dir = new("modulus-devbuilder-");

    public CmdDir Cmd => new(dir.Combine("cmd"));

    /// <summary>A host cache whose build/ dir is dev-builder's out dir, as in the compiler pod.</summary>
    public string CacheDir => dir.Combine("cache");

    public string OutDir => dir.Combine("cache", "build");

    public string WorkDir => dir.Combine("work");

    public ChildProcess Process { get; private set; } = null!;

    public ReadyInfo Ready { get; private set; } = null!;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Where dev-builder looks for kernel headers (<c>--sysroot</c>); the machine's own by default.</summary>
    public string Sysroot { get; init; } = "/";

    public async Task InitializeAsync()
    {
        Process = ChildProcess.Start(Repo.DevBuilder, [
            "serve", "--cmd-dir", Cmd.Path, "--out-dir", OutDir, "--work-dir", WorkDir,
            "--heartbeat-interval", HeartbeatInterval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sysroot", Sysroot]);
        await Process.WaitForLineAsync($" serves {Cmd.Path};", TestTimeouts.QuickSpan); // logged right after the ready file is written
        Ready = JsonSerializer.Deserialize<ReadyInfo>(await File.ReadAllTextAsync(Cmd.ReadyFile), ProtocolJson.Options)!;
    }

    public Task DisposeAsync()
    {
        Process.Dispose();
        dir.Dispose();
        return Task.CompletedTask;
    }
}
