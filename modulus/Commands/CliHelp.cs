using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Modulus.Commands.Options;

namespace Modulus.Commands;

/// <summary>
/// Help that says what an operator (or the Helm chart) needs: each option's MODULUS_* variable, required options
/// marked (by System.CommandLine), and examples for each command.
/// </summary>
internal static class CliHelp
{
    private static readonly Dictionary<string, string[]> Examples = new(StringComparer.Ordinal)
    {
        ["compile"] =
        [
            "modulus compile --local-builder --driver-version 595.45.04 --gardenlinux-version 1877.3 --store s3://drivers/gardenlinux",
            "MODULUS_CMD_DIR=/cmd MODULUS_DRIVER_VERSION=595.45.04 modulus compile   # in the chart's compiler pod",
        ],
        ["publish"] = ["modulus publish --from /opt/modulus/cache/nvidia-595.45.04-open-amd64-6.12.40-cloud-amd64 --store file:///srv/drivers"],
        ["fetch"] = ["modulus fetch --store s3://drivers/gardenlinux --driver-version 595.45.04 --gardenlinux-version 1877.3 --kernel-version 6.12.40-cloud-amd64 --to /tmp/nvidia"],
        ["list"] =
        [
            "modulus list --store s3://drivers/gardenlinux",
            "modulus list --store file:///srv/drivers --driver-version 595.45.04 --json",
        ],
        ["verify"] = ["modulus verify --store s3://drivers/gardenlinux", "modulus verify --cache-dir /opt/modulus/cache"],
        ["install"] =
        [
            "modulus install --store s3://drivers/gardenlinux --driver-version 595.45.04 --host-root /host",
            "modulus install --store file:///srv/drivers --driver-version 595.45.04 --dry-run",
        ],
        ["status"] = ["modulus status", "modulus status --json --host-root /host"],
        ["watch"] = ["MODULUS_NODE_NAME=gpu-node-1 modulus watch --host-root /host"],
        ["coverage"] = ["modulus coverage --store s3://drivers/gardenlinux --selector worker.gardener.cloud/pool=gpu --driver-version 595.45.04"],
        ["gc"] = ["modulus gc --store s3://drivers/gardenlinux --keep 3 --dry-run"],
    };

    public static void Customize(Command root)
    {
        foreach (var command in root.Subcommands)
        {
            foreach (var option in command.Options.Where(o => o is not HelpOption))
            {
                var variables = EnvironmentDefaults.VariablesFor(option);
                option.Description = $"{option.Description} [env: {variables[0]}]" + (variables.Count > 1 ? $" [then: {string.Join(", ", variables.Skip(1))}]" : string.Empty);
            }
        }

        if (root.Options.OfType<HelpOption>().SingleOrDefault() is { } help)
        {
            help.Action = new WithExamples((SynchronousCommandLineAction)help.Action!);
        }
    }

    /// <summary>Whether --help was asked for: help is shown even when required options are missing.</summary>
    public static bool IsHelp(ParseResult parsed) => parsed.Action is WithExamples;

    /// <summary>System.CommandLine's help, then the command's examples.</summary>
    private sealed class WithExamples(SynchronousCommandLineAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            if (Examples.TryGetValue(parseResult.CommandResult.Command.Name, out var examples))
            {
                parseResult.InvocationConfiguration.Output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    parseResult.InvocationConfiguration.Output.WriteLine("  " + example);
                }

                parseResult.InvocationConfiguration.Output.WriteLine();
            }

            return code;
        }
    }
}
