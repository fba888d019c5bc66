using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Core.Errors;
using Modulus.Core.Processes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Processes;

public sealed class ProcessRunnerIntegrationTests
{
    private readonly ProcessRunner runner = new(NullLogger<ProcessRunner>.Instance);

    private static ProcessSpec Shell(string script) => new("sh", ["-c", script]);

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Streams_stdout_and_stderr_line_by_line_to_the_caller()
    {
        var lines = new ConcurrentQueue<OutputLine>();

        var result = await runner.RunAsync(Shell("echo one; echo two >&2; printf 'three\\n'"), lines.Enqueue, CancellationToken.None);

        result.ExitCode.Should().Be(0);
        lines.Should().Contain(new OutputLine(OutputStream.Stdout, "one"))
            .And.Contain(new OutputLine(OutputStream.Stderr, "two"))
            .And.Contain(new OutputLine(OutputStream.Stdout, "three"));
        lines.Where(l => l.Stream == OutputStream.Stdout).Select(l => l.Text).Should().Equal("one", "three");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Children_never_inherit_the_store_credentials()
    {
        // AWS_SESSION_TOKEN alone: the AWS SDK of tests running beside this one reads none of it without a key pair.
        Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", "s3cr3t-token");
        try
        {
            var lines = new ConcurrentQueue<OutputLine>();
            await runner.RunAsync(Shell("echo token=${AWS_SESSION_TOKEN:-unset} home=${HOME:+set}"), lines.Enqueue, CancellationToken.None);

            lines.Select(l => l.Text).Should().Equal(["token=unset home=set"], "the secret is removed, the rest of the environment inherited");
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", null);
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Throws_a_typed_failure_with_the_command_exit_code_and_last_stderr_lines()
    {
        var spec = Shell("for i in $(seq 1 30); do echo \"problem $i\" >&2; done; exit 7") with { StderrTailLines = 5 };

        var failure = (await FluentActions.Awaiting(() => runner.RunAsync(spec, null, CancellationToken.None))
            .Should().ThrowAsync<CommandFailedException>()).Which;

        failure.ProcessExitCode.Should().Be(7);
        failure.CommandLine.Should().StartWith("sh -c ");
        failure.StderrTail.Should().Equal("problem 26", "problem 27", "problem 28", "problem 29", "problem 30");
        failure.Message.Should().Contain("exit code 7").And.Contain("problem 30").And.NotContain("problem 25");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Returns_a_non_zero_exit_code_when_asked_not_to_validate_it()
    {
        var result = await runner.RunAsync(Shell("exit 3") with { ValidateExitCode = false }, null, CancellationToken.None);

        result.ExitCode.Should().Be(3);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Passes_environment_and_working_directory()
    {
        using var dir = new TempDirectory();
        var lines = new ConcurrentQueue<OutputLine>();
        var spec = Shell("echo \"$MODULUS_TEST_VALUE\"; pwd") with
        {
            WorkingDirectory = dir.Path,
            Environment = new Dictionary<string, string?> { ["MODULUS_TEST_VALUE"] = "from the test" },
        };

        await runner.RunAsync(spec, lines.Enqueue, CancellationToken.None);

        lines.Select(l => l.Text).Should().Equal("from the test", dir.Path);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Names_a_program_that_cannot_be_started() =>
        await FluentActions.Awaiting(() => runner.RunAsync(new ProcessSpec("/nonexistent/modulus-tool", []), null, CancellationToken.None))
            .Should().ThrowAsync<ModulusException>().WithMessage("could not start '/nonexistent/modulus-tool'*");

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Sends_sigterm_on_cancellation_so_the_child_can_clean_up()
    {
        using var cts = new CancellationTokenSource();
        var lines = new ConcurrentQueue<OutputLine>();
        var spec = Shell("trap 'echo cleaned-up; exit 0' TERM; echo ready; while :; do sleep 0.1; done");

        var run = runner.RunAsync(spec, line => { lines.Enqueue(line); if (line.Text == "ready") cts.Cancel(); }, cts.Token);

        await FluentActions.Awaiting(() => run).Should().ThrowAsync<OperationCanceledException>();
        lines.Select(l => l.Text).Should().Contain("cleaned-up");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Kills_a_child_that_ignores_sigterm_after_the_grace_period()
    {
        using var cts = new CancellationTokenSource();
        var pid = 0;
        var spec = Shell("trap '' TERM; echo $$; while :; do sleep 0.1; done") with { KillGracePeriod = TimeSpan.FromMilliseconds(300) };

        var run = runner.RunAsync(spec, line => { pid = int.Parse(line.Text); cts.Cancel(); }, cts.Token);

        await FluentActions.Awaiting(() => run).Should().ThrowAsync<OperationCanceledException>();
        pid.Should().BePositive();
        File.Exists($"/proc/{pid}/status").Should().BeFalse("the child was killed");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Returns_when_the_program_exits_though_a_background_child_keeps_its_output_open()
    {
        var lines = new ConcurrentQueue<OutputLine>();

        // The background sleep inherits stdout and stderr and outlives the shell by far.
        var result = await runner.RunAsync(Shell("sleep 600 & echo $! ; echo started"), lines.Enqueue, CancellationToken.None);

        result.ExitCode.Should().Be(0);
        lines.Select(l => l.Text).Should().Contain("started");
        NativeSignals.Kill(int.Parse(lines.First().Text), NativeSignals.SIGKILL);
    }
}
