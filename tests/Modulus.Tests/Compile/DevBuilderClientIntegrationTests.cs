using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Compile;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>modulus' client against a real dev-builder process that dies, hangs, or never comes.</summary>
public sealed class DevBuilderClientIntegrationTests : IAsyncLifetime
{
    private readonly DevBuilderServer server = new();
    private readonly TempDirectory sources = new();
    private readonly DevBuilderClientOptions fast = new() { ReadyTimeout = TimeSpan.FromSeconds(10), HeartbeatTimeout = TimeSpan.FromSeconds(1.5) };

    public Task InitializeAsync() => server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        sources.Dispose();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Fails_at_once_with_a_clear_message_when_dev_builder_is_killed_mid_build()
    {
        using var client = await DevBuilderClient.ConnectAsync(server.Cmd, fast, NullLogger.Instance, null, CancellationToken.None);
        var slow = ModuleSources.WriteSlow(sources.Path);

        var build = client.BuildAsync(ModuleSources.Kbuild(slow, "job-killed", "slow"), m =>
        {
            if (m.Line == ModuleSources.SlowMarker)
            {
                server.Process.KillTree();
            }
        }, CancellationToken.None);

        (await FluentActions.Awaiting(() => build).Should().ThrowAsync<DevBuilderException>())
            .WithMessage($"dev-builder closed {server.Cmd.ResponseFifo} while modulus waited for job job-killed: it exited or was killed.*");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Fails_within_the_heartbeat_timeout_when_dev_builder_stops_answering()
    {
        using var client = await DevBuilderClient.ConnectAsync(server.Cmd, fast, NullLogger.Instance, null, CancellationToken.None);
        (await client.PingAsync(CancellationToken.None)).State.Should().Be("idle");

        Kill(server.Process.Id, SIGSTOP).Should().Be(0);
        try
        {
            await WaitUntilStoppedAsync(server.Process.Id);
            await FluentActions.Awaiting(() => client.PingAsync(CancellationToken.None))
                .Should().ThrowAsync<DevBuilderException>()
                .WithMessage("dev-builder sent nothing for 1.5 s while modulus waited for ping (it sends a heartbeat every 0.2 s): it hangs or was stopped.*");
        }
        finally
        {
            Kill(server.Process.Id, SIGCONT);
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Fails_when_no_ready_file_appears_in_time()
    {
        using var empty = new TempDirectory();
        var options = fast with { ReadyTimeout = TimeSpan.FromMilliseconds(300) };

        await FluentActions.Awaiting(() => DevBuilderClient.ConnectAsync(new CmdDir(empty.Path), options, NullLogger.Instance, null, CancellationToken.None))
            .Should().ThrowAsync<DevBuilderException>()
            .WithMessage($"no dev-builder became ready in {empty.Path} within 0.3 s (no ready.json). Is the dev container running bootstrap.sh*");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Reports_a_stale_ready_file_whose_dev_builder_is_gone()
    {
        server.Process.KillTree();
        await server.Process.WaitForExitAsync(TestTimeouts.QuickSpan);

        await FluentActions.Awaiting(() => DevBuilderClient.ConnectAsync(server.Cmd, fast, NullLogger.Instance, null, CancellationToken.None))
            .Should().ThrowAsync<DevBuilderException>()
            .WithMessage($"the ready file {server.Cmd.ReadyFile} names dev-builder pid {server.Ready.Pid}, but nobody reads {server.Cmd.RequestFifo}: dev-builder is not running any more.*");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Shuts_dev_builder_down_on_request()
    {
        using var client = await DevBuilderClient.ConnectAsync(server.Cmd, fast, NullLogger.Instance, null, CancellationToken.None);

        (await client.ShutdownAsync(CancellationToken.None)).Type.Should().Be("accepted");

        (await server.Process.WaitForExitAsync(TestTimeouts.QuickSpan)).Should().Be(0);
    }

    private const int SIGSTOP = 19;
    private const int SIGCONT = 18;

    private static int Kill(int pid, int signal) => Core.Processes.NativeSignals.Kill(pid, signal);

    /// <summary>kill(2) returns before the signal takes effect; the kernel reports state T once the process stopped.</summary>
    private static async Task WaitUntilStoppedAsync(int pid)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.QuickSpan);
        while ((await File.ReadAllTextAsync($"/proc/{pid}/stat", timeout.Token)).Split(')')[^1].Trim()[0] != 'T')
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
