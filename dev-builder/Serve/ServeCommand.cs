using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Core.Logging;
using Modulus.Core.Processes;
using Modulus.DevBuilder.Recipes;
using Serilog;

namespace Modulus.DevBuilder.Serve;

/// <summary><c>dev-builder serve</c>: the pipe server on the generic host.</summary>
internal static class ServeCommand
{
    /// <summary>The command; <paramref name="getVariable"/> is the process environment (tests pass another).</summary>
    public static Command Create(Func<string, string?> getVariable)
    {
        var cmdDir = new Option<string>("--cmd-dir") { Description = "Directory with the FIFOs shared with modulus", Required = true };
        var outDir = new Option<string>("--out-dir") { Description = "Where finished builds land (the shared cache's build/ dir)", Required = true };
        var workDir = new Option<string?>("--work-dir") { Description = "Scratch space for extracting and compiling (default: a new dir below the system temp dir)" };
        var heartbeat = new Option<double>("--heartbeat-interval") { Description = "Seconds between heartbeats", DefaultValueFactory = _ => 5 };
        var sysroot = new Option<string>("--sysroot") { Description = "Root under which kernel headers are looked up", DefaultValueFactory = _ => "/" };
        var parentPid = new Option<int>("--parent-pid") { Description = "Stop when this process (the modulus that started a local dev-builder) is gone" };
        var command = new Command("serve", "Serve build requests from modulus over the FIFOs in the cmd dir") { cmdDir, outDir, workDir, heartbeat, sysroot, parentPid };
        command.SetAction((result, cancellationToken) =>
        {
            var options = new ServeOptions
            {
                CmdDir = Path.GetFullPath(result.GetValue(cmdDir)!),
                OutDir = Path.GetFullPath(result.GetValue(outDir)!),
                WorkDir = result.GetValue(workDir) is { } given ? Path.GetFullPath(given) : WorkDirs.CreateDefault(),
                OwnsWorkDir = result.GetValue(workDir) is null,
                ParentPid = result.GetValue(parentPid),
                HeartbeatInterval = TimeSpan.FromSeconds(Math.Max(0.05, result.GetValue(heartbeat))),
                Sysroot = result.GetValue(sysroot)!,
                BuilderImage = getVariable("MODULUS_BUILDER_IMAGE") is { Length: > 0 } image ? image : null,
            };
            return RunAsync(options, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(ServeOptions options, CancellationToken cancellationToken)
    {
        WorkDirs.RemoveLeftovers(options.WorkDir);
        try
        {
            return await HostAsync(options, cancellationToken);
        }
        finally
        {
            if (options.OwnsWorkDir)
            {
                WorkDirs.TryDelete(options.WorkDir);
            }
        }
    }

    private static async Task<int> HostAsync(ServeOptions options, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(ModulusLogging.CreateLogger(), dispose: true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new BuilderPaths(options.OutDir, options.WorkDir));
        builder.Services.AddSingleton(new KernelHeadersLocator(options.Sysroot));
        builder.Services.AddSingleton<IProcessRunner, ProcessRunner>();
        builder.Services.AddSingleton(new HttpClient { Timeout = TimeSpan.FromMinutes(30) });
        builder.Services.AddSingleton<SourceFetcher>();
        builder.Services.AddSingleton<RecipeSteps>();
        builder.Services.AddSingleton<RunfileExtractions>();
        builder.Services.AddSingleton<IBuildRecipe, NvidiaRunfileRecipe>();
        builder.Services.AddSingleton<IBuildRecipe, KbuildRecipe>();
        builder.Services.AddSingleton<Builder>();
        builder.Services.AddSingleton<PipeServer>();
        builder.Services.AddHostedService<PipeServerService>();
        if (options.ParentPid > 0)
        {
            builder.Services.AddHostedService<ParentWatchService>();
        }

        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return Environment.ExitCode;
    }
}
