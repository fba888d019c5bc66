using System.Text;
using Microsoft.Extensions.Logging;
using Modulus.Core.Pipes;

namespace Modulus.DevBuilder.Serve;

/// <summary>
/// The write end of response.fifo. It is opened when a client has the read end open and dropped when a write
/// meets EPIPE (the client went away), which raises <see cref="ClientGone"/>. Writes are serialised, one line each.
/// </summary>
internal sealed class ResponseChannel(string path, ILogger logger) : IDisposable
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);
    private readonly Lock gate = new();
    private FifoEnd? writer;

    public event Action? ClientGone;

    /// <summary>Sends one message; false when no client is attached (it waits up to <paramref name="waitForClient"/> for one).</summary>
    public bool Send(Response message, TimeSpan waitForClient)
    {
        var line = Encoding.UTF8.GetBytes(ProtocolJson.ToLine(message) + "\n");
        var gone = false;
        lock (gate)
        {
            var deadline = DateTime.UtcNow + waitForClient;
            FifoEnd? current;
            while ((current = writer ??= FifoEnd.TryOpenWriter(path)) is null)
            {
                if (DateTime.UtcNow >= deadline)
                {
                    logger.LogDebug("No client reads {Path}; dropped a {Type} message", path, message.Type);
                    return false;
                }

                Thread.Sleep(50);
            }

            try
            {
                current.Write(line, WriteTimeout, CancellationToken.None);
                return true;
            }
            catch (Exception e) when (e is PipeClosedException or TimeoutException)
            {
                logger.LogInformation("The client of {Path} went away: {Reason}", path, e.Message);
                current.Dispose();
                writer = null;
                gone = true;
            }
        }

        if (gone)
        {
            ClientGone?.Invoke();
        }

        return false;
    }

    public void Dispose()
    {
        lock (gate)
        {
            writer?.Dispose();
            writer = null;
        }
    }
}
