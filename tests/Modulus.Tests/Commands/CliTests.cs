using System.Text.Json.Nodes;
using Modulus.Core.Logging;
using Modulus.Tests.Fixtures;
using Serilog.Events;
using Serilog.Parsing;

namespace Modulus.Tests.Commands;

/// <summary>The command line as an operator meets it: the real binary's errors, suggestions, help and log format.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_mistyped_command_gets_a_suggestion_in_the_one_error_format()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["instal"]);

        code.Should().Be(2);
        run.Stderr.Trim().Should().MatchRegex(@"^\d\d:\d\d:\d\d ERR 'instal' is not a modulus command; did you mean 'install'\? Run 'modulus --help' for usage\.$");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_mistyped_option_gets_a_suggestion_and_its_value_is_not_reported_as_well()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["status", "--hostroot", "/host"]);

        code.Should().Be(2);
        run.Stderr.Trim().Should().MatchRegex(@"^\d\d:\d\d:\d\d ERR '--hostroot' is not an option of 'modulus status'; did you mean '--host-root'\? Run 'modulus status --help' for usage\.$");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Redirected_errors_are_compact_json_lines_parse_errors_included()
    {
        var env = new Dictionary<string, string?> { ["MODULUS_LOG_FORMAT"] = "json" };

        var (parseCode, parse) = await ChildProcess.RunAsync(Repo.Modulus, ["list"], env);
        var (runCode, failed) = await ChildProcess.RunAsync(Repo.Modulus, ["list", "--store", "file://" + dir.Combine("absent")], env);

        parseCode.Should().Be(2);
        runCode.Should().Be(2, failed.Output);
        foreach (var line in parse.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Concat(failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)))
        {
            var e = JsonNode.Parse(line)!.AsObject();
            e.Select(p => p.Key).Should().StartWith(["@t", "@m", "@l"]).And.NotContain(["Properties", "Renderings", "RenderedMessage", "MessageTemplate"]);
            ((string?)e["@l"]).Should().Be("Error");
            DateTimeOffset.Parse((string)e["@t"]!, System.Globalization.CultureInfo.InvariantCulture).Offset.Should().Be(TimeSpan.Zero);
        }

        ((string?)JsonNode.Parse(parse.Stderr.Trim())!["@m"]).Should().Be("Option '--store' is required. Run 'modulus list --help' for usage.");
        ((string?)JsonNode.Parse(failed.Stderr.Trim().Split('\n')[^1])!["@m"]).Should().Contain(dir.Combine("absent"));
    }

    [Fact]
    public void The_compact_format_renders_string_values_as_they_are_and_leaves_out_the_level_for_information()
    {
        var template = new MessageTemplateParser().Parse("Fetched {Key} ({Bytes} bytes)");
        var logEvent = new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, template,
            [new LogEventProperty("Key", new ScalarValue("a/b \"c\"")), new LogEventProperty("Bytes", new ScalarValue(42))]);
        using var output = new StringWriter();

        new ClefFormatter().Format(logEvent, output);

        var e = JsonNode.Parse(output.ToString())!.AsObject();
        ((string?)e["@m"]).Should().Be("Fetched a/b \"c\" (42 bytes)");
        e.ContainsKey("@l").Should().BeFalse();
        ((string?)e["Key"]).Should().Be("a/b \"c\"");
        ((int)e["Bytes"]!).Should().Be(42);
        output.ToString().Should().EndWith("}" + Environment.NewLine).And.Subject.Count(c => c == '\n').Should().Be(1);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Help_marks_required_options_names_each_variable_and_shows_examples_even_without_the_required_options()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["fetch", "--help"]);

        code.Should().Be(0, run.Output);
        run.Stdout.Should().MatchRegex(@"--to <to> \(REQUIRED\)\s+Directory the artifact lands in .* \[env: MODULUS_TO\]")
            .And.MatchRegex(@"--driver-name <driver-name>\s+Driver or module set name \[env: MODULUS_DRIVER_NAME\]")
            .And.Contain("[env: MODULUS_S3_ENDPOINT]")
            .And.Contain("Examples:\n  modulus fetch --store s3://");
        run.Stderr.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_watch_configuration_error_is_one_line_without_a_stack_trace()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["watch", "--node-name", "gpu-1", "--kubeconfig", dir.Combine("absent"), "--host-root", dir.Path, "--cache-dir", dir.Path]);

        code.Should().Be(2);
        run.Stderr.Trim().Should().MatchRegex($@"^\d\d:\d\d:\d\d ERR kubeconfig {System.Text.RegularExpressions.Regex.Escape(dir.Combine("absent"))} does not exist$");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Status_json_has_a_schema_version_the_node_and_the_expected_and_live_driver_versions()
    {
        var module = Directory.CreateDirectory(dir.Combine("sys", "module", "nvidia")).FullName;
        File.WriteAllText(Path.Combine(module, "version"), "580.159.04\n");
        File.WriteAllText(Path.Combine(module, "initstate"), "live\n");
        File.WriteAllText(Path.Combine(module, "refcnt"), "0\n");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, ["status", "--json", "--host-root", dir.Path, "--cache-dir", dir.Combine("cache"), "--node-name", "gpu-1"]);

        code.Should().Be(1, "no driver is linked: " + run.Output);
        var status = JsonNode.Parse(run.Stdout)!.AsObject();
        status.Select(p => p.Key).Should().StartWith(["schemaVersion", "node"]);
        ((int)status["schemaVersion"]!).Should().Be(1);
        ((string?)status["node"]).Should().Be("gpu-1");
        ((string?)status["liveDriverVersion"]).Should().Be("580.159.04");
        status["expectedDriverVersion"].Should().BeNull();
        ((bool)status["ready"]!).Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Dev_builder_writes_its_usage_errors_in_the_same_format()
    {
        var (code, run) = await ChildProcess.RunAsync(Repo.DevBuilder, ["serve", "--cmd-dri", "/cmd"]);

        code.Should().Be(2);
        run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().NotBeEmpty()
            .And.OnlyContain(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d\d:\d\d:\d\d ERR .*"))
            .And.Contain(l => l.Contains("--cmd-dri", StringComparison.Ordinal));
    }
}
