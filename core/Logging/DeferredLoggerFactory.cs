using Microsoft.Extensions.Logging;

namespace Modulus.Core.Logging;

/// <summary>
/// An <see cref="ILoggerFactory"/> that builds the real one (Serilog's pipeline, whose first build costs a tenth of a
/// `status` run in a native binary) only when the first event at or above the minimum level is written or a scope is
/// begun: a command that logs nothing, like `status`, the readiness probe, never builds it.
/// </summary>
public sealed class DeferredLoggerFactory(LogLevel minimum, Func<ILoggerFactory> create) : ILoggerFactory
{
    private readonly Lazy<ILoggerFactory> inner = new(create);

    private LogLevel Minimum { get; } = minimum;

    /// <summary>Whether the real factory was built (for tests).</summary>
    public bool IsBuilt => inner.IsValueCreated;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => inner.Value.AddProvider(provider);

    public void Dispose()
    {
        if (inner.IsValueCreated)
        {
            inner.Value.Dispose();
        }
    }

    private sealed class Logger(DeferredLoggerFactory factory, string category) : ILogger
    {
        private ILogger? real;

        private ILogger Real => real ??= factory.inner.Value.CreateLogger(category);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => Real.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= factory.Minimum && logLevel != LogLevel.None && (real?.IsEnabled(logLevel) ?? true);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= factory.Minimum && logLevel != LogLevel.None)
            {
                Real.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
