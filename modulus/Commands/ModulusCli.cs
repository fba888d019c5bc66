using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using Modulus.Commands.Options;
using Modulus.Core.Errors;

namespace Modulus.Commands;

/// <summary>The <c>modulus</c> command tree and its invocation (exit 2 for usage errors, MODULUS_* defaults).</summary>
internal static class ModulusCli
{
    /// <summary>
    /// The command tree; <paramref name="getVariable"/> is the environment every command reads (tests pass another).
    /// With <paramref name="only"/>, the root holds that command alone: what a run of it needs. Building every command
    /// with its options and help was a quarter of a `status` run (the readiness probe, docs/performance.md). The root is
    /// a plain command named modulus, not System.CommandLine's RootCommand, whose name comes from the entry assembly's
    /// location through reflection (another tenth of a `status` run); <paramref name="helpAndVersion"/> false leaves out
    /// --help and --version, whose descriptions come from resources, for a command line that names neither.
    /// </summary>
    public static Command Create(Func<string, string?> getVariable, string? only = null, bool helpAndVersion = true)
    {
        var root = new Command(Name, "modulus: compiles NVIDIA kernel modules for Garden Linux once, distributes them, installs them on every GPU node");
        if (helpAndVersion)
        {
            root.Add(new HelpOption());
            root.Add(new VersionOption());
        }

        foreach (var (name, create) in Commands(getVariable))
        {
            if (only is null || only == name)
            {
                root.Add(create());
            }
        }

        if (helpAndVersion)
        {
            CliHelp.Customize(root); // the options' MODULUS_* variables and the examples: for help only
        }

        return root;
    }

    public const string Name = "modulus";

    /// <summary>Every command by name, in the order help lists them.</summary>
    private static (string Name, Func<Command> Create)[] Commands(Func<string, string?> getVariable) =>
    [
        ("compile", () => CompileCommand.Create(getVariable)),
        ("publish", () => PublishCommand.Create(getVariable)),
        ("fetch", () => FetchCommand.Create(getVariable)),
        ("list", () => ListCommand.Create(getVariable)),
        ("verify", () => VerifyCommand.Create(getVariable)),
        ("install", () => InstallCommand.Create(getVariable)),
        ("status", StatusCommand.Create),
        ("watch", WatchCommand.Create),
        ("fabric-manager", FabricManagerCommand.Create),
        ("coverage", () => CoverageCommand.Create(getVariable)),
        ("gc", () => GcCommand.Create(getVariable)),
    ];

    public static async Task<int> InvokeAsync(string[] args, Func<string, string?> getVariable)
    {
        // A run names its command first: only that one is built. Anything else (help, a mistyped command, which gets a
        // suggestion from every command's name) gets the whole tree.
        var named = args.Length > 0 && Commands(getVariable).Any(c => c.Name == args[0]) ? args[0] : null;
        var root = Create(getVariable, named, helpAndVersion: named is null || args.Any(IsHelpOrVersion));
        Distribution.TransferProgress.LiveTerminal = Distribution.TransferProgress.IsLiveTerminal(getVariable);
        ParseResult parsed;
        try
        {
            parsed = root.Parse(EnvironmentDefaults.Apply(root.Parse(args), args, getVariable));
        }
        catch (InvalidInputException e)
        {
            return ErrorReport.Write(e.ExitCode, e.Message);
        }

        if (parsed.Errors.Count > 0 && !CliHelp.IsHelp(parsed))
        {
            return ErrorReport.Write(ExitCodes.InvalidInput, Suggestions.Describe(parsed));
        }

        // SIGINT and SIGTERM cancel the command; one that has not stopped 30 s later (time to stop its children and clean
        // up) is left, with 130 or 143. The handlers are in place before the command starts: System.CommandLine's own
        // (ProcessTerminationTimeout) are registered only once the command's action reaches its first await, and a
        // signal before that, such as a pod stopped just as the command logged its first line, killed it outright.
        using var stopping = new CancellationTokenSource();
        var forced = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            var code = signal.Signal == PosixSignal.SIGINT ? 130 : 143;
            stopping.Cancel();
            _ = Task.Delay(StopGrace, CancellationToken.None).ContinueWith(_ => forced.TrySetResult(code), TaskScheduler.Default);
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return await await Task.WhenAny(parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stopping.Token), forced.Task);
    }

    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    /// <summary>The tokens System.CommandLine's --help and --version answer to.</summary>
    private static bool IsHelpOrVersion(string arg) => arg is "-h" or "--help" or "-?" or "/h" or "/?" or "--version";
}
