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
    public async Task A_failure_carries_the_last_stdout_lines_too_where_a_build_says_why()
    {
        // As NVIDIA's Kbuild fails on a PREEMPT_RT kernel: the verdict is echoed to stdout, make's error goes to stderr.
        var spec = Shell(
            "for i in $(seq 1 10); do echo \"  CC [M]  file$i.o\"; done; " +
            "echo ' *** Failed PREEMPT_RT sanity check. Bailing out! ***'; " +
            "echo 'make[3]: *** [Kbuild:75: conftest] Error 1' >&2; " +
            "echo \"make[2]: Leaving directory '/usr/src/linux-headers-6.12.117+deb13-rt-amd64'\"; echo \"make: Leaving directory '/tmp/kernel-open'\"; exit 2");

        var failure = (await FluentActions.Awaiting(() => runner.RunAsync(spec, null, CancellationToken.None))
            .Should().ThrowAsync<CommandFailedException>()).Which;

        failure.StdoutTail.Should().HaveCount(5).And.EndWith(" *** Failed PREEMPT_RT sanity check. Bailing out! ***").And.NotContain("  CC [M]  file6.o",
            "make's directory lines do not push the reason out of the tail");
        failure.Message.Should().MatchRegex(@"(?s)last lines of its output:.*Failed PREEMPT_RT sanity check.*last lines of its error output:.*Error 1");
    }

    [Theory(Timeout = TestTimeouts.Quick)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_spec_that_keeps_its_output_to_itself_neither_logs_it_nor_fails_with_it(bool quiet)
    {
        var logged = new RecordingLogger();
        // The lines are put together by printf, so that the command line, which the log and the failure name, does not hold them.
        var spec = Shell("printf '%s-%s\\n' hidden stdout; printf '%s-%s\\n' hidden stderr >&2; exit 4");
        spec = quiet ? spec with { LogOutput = false, StdoutTailLines = 0, StderrTailLines = 0 } : spec;

        var failure = (await FluentActions.Awaiting(() => new ProcessRunner(logged).RunAsync(spec, null, CancellationToken.None))
            .Should().ThrowAsync<CommandFailedException>()).Which;

        var shown = failure.Message + string.Join('\n', logged.Lines);
        if (quiet)
        {
            shown.Should().NotContain("hidden-stdout").And.NotContain("hidden-stderr").And.NotContain("last lines");
        }
        else
        {
            logged.Lines.Should().Contain(l => l.Contains("hidden-stdout")).And.Contain(l => l.Contains("hidden-stderr"));
            failure.Message.Should().Contain("hidden-stdout").And.Contain("hidden-stderr");
        }
    }

    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger<ProcessRunner>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
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
