using Microsoft.Extensions.Logging;
using Modulus.Core.Logging;

namespace Modulus.Tests.Logging;

/// <summary>The commands' logger factory builds Serilog's pipeline only for the first event that passes the level.</summary>
public sealed class DeferredLoggerFactoryTests
{
    private sealed class Recording : ILoggerFactory, ILogger
    {
        public List<(LogLevel Level, string Message)> Events { get; } = [];

        public bool Disposed { get; private set; }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose() => Disposed = true;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Events.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public void A_command_that_logs_nothing_above_the_level_never_builds_the_pipeline()
    {
        var built = 0;
        var factory = new DeferredLoggerFactory(LogLevel.Information, () => { built++; return new Recording(); });
        var logger = factory.CreateLogger("modulus");

        logger.IsEnabled(LogLevel.Debug).Should().BeFalse();
        logger.IsEnabled(LogLevel.Warning).Should().BeTrue();
        logger.LogDebug("below the level");
        factory.Dispose();

        built.Should().Be(0);
        factory.IsBuilt.Should().BeFalse();
    }

    [Fact]
    public void The_first_event_at_the_level_builds_it_once_and_every_event_from_then_on_reaches_it()
    {
        var real = new Recording();
        var built = 0;
        var factory = new DeferredLoggerFactory(LogLevel.Information, () => { built++; return real; });
        var first = factory.CreateLogger("modulus");
        var second = factory.CreateLogger("modulus.fetch");

        first.LogInformation("Fetched {Artifact}", "nvidia-595.45.04-open-amd64");
        second.LogWarning("slow");
        second.LogDebug("still below the level");
        factory.Dispose();

        built.Should().Be(1);
        real.Events.Should().Equal((LogLevel.Information, "Fetched nvidia-595.45.04-open-amd64"), (LogLevel.Warning, "slow"));
        real.Disposed.Should().BeTrue("disposing the factory flushes and disposes the pipeline it built");
    }
}
