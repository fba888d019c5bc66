using Modulus.Core.Pipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Compile;

/// <summary>A real dev-builder process and a raw client over real FIFOs (docs/protocol.md).</summary>
public sealed class DevBuilderProtocolIntegrationTests : IAsyncLifetime
{
    private readonly DevBuilderServer server = new();
    private readonly TempDirectory sources = new();

    public Task InitializeAsync() => server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        sources.Dispose();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Writes_a_ready_file_naming_version_kernels_compiler_and_heartbeat()
    {
        await Task.CompletedTask;
        server.Ready.V.Should().Be(Protocol.Version);
        server.Ready.Pid.Should().Be(server.Process.Id);
        server.Ready.Kernels.Select(k => k.Release).Should().Equal(KernelUnderTest.Release);
        server.Ready.Compiler.Should().StartWith("gcc");
        server.Ready.HeartbeatIntervalSeconds.Should().BeApproximately(0.2, 0.001);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Answers_ping_with_its_state_and_sends_heartbeats_while_a_client_listens()
    {
        await Task.CompletedTask;
        using var client = new RawProtocolClient(server.Cmd);

        client.Send(new Request { Id = "p1", Type = "ping" });

        client.NextFor("p1", "pong").State.Should().Be("idle");
        client.Next(r => r.Type == "heartbeat").State.Should().Be("idle");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Answers_malformed_unknown_and_wrong_version_lines_with_errors_and_keeps_serving()
    {
        await Task.CompletedTask;
        using var client = new RawProtocolClient(server.Cmd);

        client.SendLine("this is not json");
        client.Next(r => r.Type == "error").Error.Should().StartWith("malformed request");

        client.SendLine("""{"v":1,"id":"u1","type":"compile-everything"}""");
        client.NextFor("u1", "error").Error.Should().Be("unknown request type 'compile-everything'; expected build, ping or shutdown");

        client.SendLine("""{"v":99,"id":"v1","type":"ping"}""");
        client.NextFor("v1", "error").Error.Should().StartWith("unsupported protocol version 99");

        client.SendLine("""{"v":1,"type":"ping"}""");
        client.Next(r => r.Type == "error").Error.Should().Match("malformed request*missing required properties*'id'*");

        client.Send(new Request { Id = "p2", Type = "ping" });
        client.NextFor("p2", "pong").State.Should().Be("idle");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Drops_an_oversized_line_with_an_error_and_keeps_serving()
    {
        using var client = new RawProtocolClient(server.Cmd);

        var line = "{\"v\":1,\"id\":\"big\",\"type\":\"ping\",\"pad\":\"" + new string('x', 200_000) + "\"}";
        var send = Task.Run(() => client.SendLine(line));

        client.Next(r => r.Type == "error").Error.Should().Be($"request line of {line.Length} bytes exceeds the limit of {Protocol.MaxLineBytes} bytes; it was dropped");
        await send;
        client.Send(new Request { Id = "p3", Type = "ping" });
        client.NextFor("p3", "pong").Should().NotBeNull();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Streams_a_build_and_names_the_job_directory_in_its_result()
    {
        await Task.CompletedTask;
        using var client = new RawProtocolClient(server.Cmd);

        client.Send(new Request { Id = "b1", Type = "build", Build = ModuleSources.Kbuild(Repo.Module("hello"), "job-hello") });

        client.NextFor("b1", "accepted");
        var result = client.NextFor("b1", "result");
        result.Should().BeEquivalentTo(new { Status = "succeeded", OutputDir = "job-hello", KernelRelease = KernelUnderTest.Release }, o => o.ExcludingMissingMembers());
        client.Received.Where(r => r.Type == "log").Select(r => r.Line).Should().Contain(l => l!.StartsWith("$ make -j") && l.Contains("M="));
        client.Received.Should().Contain(r => r.Type == "heartbeat" && r.Id == "b1" && r.State == "building");
        File.Exists(Path.Combine(server.OutDir, "job-hello", "lib", "modules", KernelUnderTest.Release, "hello.ko")).Should().BeTrue();
        Directory.GetDirectories(server.OutDir).Should().ContainSingle("no partial directory is left beside the job");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Rejects_a_second_build_while_busy_and_shutdown_cancels_the_running_one()
    {
        using var client = new RawProtocolClient(server.Cmd);
        var slow = ModuleSources.WriteSlow(sources.Path);

        client.Send(new Request { Id = "b1", Type = "build", Build = ModuleSources.Kbuild(slow, "job-slow", "slow") });
        client.Next(r => r.Id == "b1" && r.Line == ModuleSources.SlowMarker);
        client.Send(new Request { Id = "b2", Type = "build", Build = ModuleSources.Kbuild(Repo.Module("hello"), "job-second") });
        var busy = client.NextFor("b2", "result");
        client.Send(new Request { Id = "p1", Type = "ping" });
        var pong = client.NextFor("p1", "pong");
        client.Send(new Request { Id = "s1", Type = "shutdown" });
        client.NextFor("s1", "accepted");
        var cancelled = client.NextFor("b1", "result");

        busy.Status.Should().Be("rejected");
        busy.Error.Should().StartWith("dev-builder is busy with job job-slow (request b1)");
        pong.State.Should().Be("building");
        cancelled.Status.Should().Be("failed");
        cancelled.Error.Should().Contain("cancelled");
        (await server.Process.WaitForExitAsync(TestTimeouts.QuickSpan)).Should().Be(0);
        File.Exists(server.Cmd.ReadyFile).Should().BeFalse("a stopped dev-builder removes its ready file");
        Directory.GetFileSystemEntries(server.OutDir).Should().BeEmpty("a cancelled build leaves nothing in the out dir");
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task Cancels_the_build_when_modulus_stops_reading_and_serves_the_next_client()
    {
        var slow = ModuleSources.WriteSlow(sources.Path);
        using (var first = new RawProtocolClient(server.Cmd))
        {
            first.Send(new Request { Id = "b1", Type = "build", Build = ModuleSources.Kbuild(slow, "job-orphan", "slow") });
            first.Next(r => r.Id == "b1" && r.Line == ModuleSources.SlowMarker);
        }

        await server.Process.WaitForLineAsync("Job job-orphan: failed", TestTimeouts.QuickSpan);
        using var second = new RawProtocolClient(server.Cmd);
        second.Send(new Request { Id = "p1", Type = "ping" });

        second.NextFor("p1", "pong").State.Should().Be("idle");
        server.Process.Output.Should().Contain("modulus stopped reading the responses during job job-orphan; cancelling the build");
        Directory.GetFileSystemEntries(server.OutDir).Should().BeEmpty();
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData("job", "../escape", "build.job '../escape' is not valid*")]
    [InlineData("version", "550.1;rm -rf /", "build.version '550.1;rm -rf /' is not valid*")]
    [InlineData("moduleType", "auto", "build.moduleType 'auto' is not valid: expected open or proprietary")]
    public async Task Rejects_a_build_spec_with_an_invalid_field(string field, string value, string message)
    {
        await Task.CompletedTask;
        using var client = new RawProtocolClient(server.Cmd);
        var spec = ModuleSources.Kbuild(Repo.Module("hello"), "job-x");
        spec = field switch
        {
            "job" => spec with { Job = value },
            "version" => spec with { Version = value },
            _ => spec with { ModuleType = value },
        };

        client.Send(new Request { Id = "r1", Type = "build", Build = spec });

        var result = client.NextFor("r1", "result");
        result.Status.Should().Be("rejected");
        result.Error.Should().Match(message);
    }
}
