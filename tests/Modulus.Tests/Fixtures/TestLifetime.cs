using Microsoft.Extensions.Hosting;

namespace Modulus.Tests.Fixtures;

/// <summary>An application lifetime for hosted services under test: records whether they asked to stop.</summary>
public sealed class TestLifetime : IHostApplicationLifetime, IDisposable
{
    private readonly CancellationTokenSource stopping = new();

    public bool Stopped => stopping.IsCancellationRequested;

    public CancellationToken ApplicationStarted => CancellationToken.None;

    public CancellationToken ApplicationStopping => stopping.Token;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void StopApplication() => stopping.Cancel();

    public void Dispose() => stopping.Dispose();
}
