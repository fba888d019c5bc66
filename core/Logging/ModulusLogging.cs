using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace Modulus.Core.Logging;

/// <summary>
/// Serilog behind Microsoft.Extensions.Logging, always on stderr (stdout is for command results):
/// human-readable text on a terminal, compact JSON lines (CLEF, <see cref="ClefFormatter"/>) otherwise. <c>MODULUS_LOG_FORMAT</c> (text|json) and
/// <c>MODULUS_LOG_LEVEL</c> (debug|information|warning|error) override. Configured in code only: Serilog's
/// configuration reader binds sinks by reflection, which a NativeAOT binary cannot do.
/// </summary>
public static class ModulusLogging
{
    /// <summary>
    /// The commands' logging: MODULUS_LOG_LEVEL is checked now (a wrong one is exit 2 before any work), and Serilog's
    /// pipeline is built with the first event that passes it (<see cref="DeferredLoggerFactory"/>).
    /// </summary>
    public static ILoggerFactory CreateFactory(string? levelOverride = null)
    {
        var level = ParseLevel(levelOverride ?? Environment.GetEnvironmentVariable("MODULUS_LOG_LEVEL"));
        return new DeferredLoggerFactory((LogLevel)(int)level, () => new SerilogLoggerFactory(CreateLogger(levelOverride), dispose: true));
    }

    public static Serilog.Core.Logger CreateLogger(string? levelOverride = null)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables("MODULUS_").Build();
        var level = ParseLevel(levelOverride ?? configuration["LOG_LEVEL"]);
        var format = configuration["LOG_FORMAT"]?.ToLowerInvariant();
        var json = format switch
        {
            "json" => true,
            "text" => false,
            _ => Console.IsErrorRedirected,
        };

        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        config = json
            ? config.WriteTo.Console(new ClefFormatter(), standardErrorFromLevel: LogEventLevel.Verbose)
            : config.WriteTo.Console(
                outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose);
        return config.CreateLogger();
    }

    private static LogEventLevel ParseLevel(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "info" or "information" => LogEventLevel.Information,
        "debug" => LogEventLevel.Debug,
        "trace" or "verbose" => LogEventLevel.Verbose,
        "warn" or "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        _ => throw new Errors.InvalidInputException($"MODULUS_LOG_LEVEL '{value}' is not valid: expected debug, information, warning or error"),
    };
}
