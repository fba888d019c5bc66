using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Install;

namespace Modulus.Watch;

/// <summary>Settings of the watch container's HTTP endpoint; <paramref name="Address"/> is where it listens (the pod's IP, or any).</summary>
internal sealed record MetricsOptions(int Port, string Node, string CacheDir, TimeSpan Interval)
{
    public IPAddress Address { get; init; } = IPAddress.Any;
}

/// <summary>
/// <c>modulus watch</c>'s HTTP endpoint: <c>/metrics</c> (Prometheus text) and <c>/healthz</c> (200 while the watch
/// loop has ticked within three intervals, 503 otherwise: the chart's liveness and startup probes).
/// It has no authentication (docs/kubernetes.md), so what anyone on the pod network can make it hold is bounded:
/// at most <see cref="MaxConnections"/> connections are open, each with <see cref="RequestTimeout"/> to send a
/// request of at most <see cref="MaxRequestBytes"/> and take the answer, then closed; a new connection beyond that
/// closes the oldest one that has not sent its whole request yet and takes its slot, so the kernel's backlog drains. So idle or
/// trickling clients cost a few KiB each and cannot grow the process, and a probe, which sends its request at once,
/// is answered however many stalled clients came before it.
/// </summary>
internal sealed class MetricsServer(MetricsOptions options, WatchState state, ILogger<MetricsServer> logger) : BackgroundService
{
    public const int MaxConnections = 32;
    public const int MaxRequestBytes = 8192;
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly LinkedList<Connection> open = new();
    private readonly SemaphoreSlim slots = new(MaxConnections);

    public override void Dispose()
    {
        slots.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = new TcpListener(options.Address, options.Port);
        listener.Start(backlog: 128);
        logger.LogInformation("Serving /metrics and /healthz on {Address}:{Port} (at most {Connections} connections, {Seconds:0} s each)",
            options.Address, options.Port, MaxConnections, RequestTimeout.TotalSeconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptSocketAsync(stoppingToken);
                if (!slots.Wait(0, CancellationToken.None))
                {
                    MakeRoom();
                    try
                    {
                        await slots.WaitAsync(stoppingToken); // the closed one's cleanup gives its slot back at once
                    }
                    catch
                    {
                        client.Dispose();
                        throw;
                    }
                }

                var connection = new Connection(client, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
                connection.Cancel.CancelAfter(RequestTimeout);
                lock (open)
                {
                    connection.Node = open.AddLast(connection);
                }

                _ = ServeAsync(connection);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Closes the oldest connection still waiting for its request; if every one is being answered, the new one waits its turn.</summary>
    private void MakeRoom()
    {
        lock (open)
        {
            if (open.FirstOrDefault(c => !c.Answering && !c.Closing) is { } oldest)
            {
                oldest.Closing = true;
                oldest.Cancel.Cancel();
            }
        }
    }

    private async Task ServeAsync(Connection connection)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxRequestBytes);
        var (client, token) = (connection.Socket, connection.Cancel.Token);
        try
        {
            var path = await ReadRequestAsync(client, buffer, token);
            connection.Answering = true;
            var (code, type, body) = path is null ? (400, "text/plain", "bad request\n") : Answer(path);
            var content = Encoding.UTF8.GetBytes(body);
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {code} {Reason(code)}\r\nContent-Type: {type}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n");
            await client.SendAsync(head, SocketFlags.None, token);
            await client.SendAsync(content, SocketFlags.None, token);
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // too slow, made room for a newer one, went away, or the server stops: the connection is closed, nothing else
        }
        catch (Exception e)
        {
            logger.LogWarning("Answering a metrics request failed: {Error}", e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            lock (open)
            {
                open.Remove(connection.Node!);
            }

            connection.Cancel.Dispose();
            client.Dispose();
            slots.Release();
        }
    }

    private sealed class Connection(Socket socket, CancellationTokenSource cancel)
    {
        public Socket Socket { get; } = socket;

        public CancellationTokenSource Cancel { get; } = cancel;

        public LinkedListNode<Connection>? Node { get; set; }

        /// <summary>Its request is in: it is being answered, and is not closed to make room.</summary>
        public volatile bool Answering;

        /// <summary>Closed to make room for a newer one; its cleanup is on its way.</summary>
        public bool Closing;
    }

    /// <summary>The path of a GET request once its headers have ended; null for anything else, or a request larger than the buffer.</summary>
    private static async Task<string?> ReadRequestAsync(Socket client, byte[] buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        while (length < MaxRequestBytes)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(length, MaxRequestBytes - length), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return null;
            }

            length += n;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal) || text.Contains("\n\n", StringComparison.Ordinal))
            {
                var line = text[..text.IndexOf('\n', StringComparison.Ordinal)].TrimEnd('\r').Split(' ');
                return line is ["GET", var target, ..] ? target.Split('?')[0] : null;
            }
        }

        return null;
    }

    private (int Code, string Type, string Body) Answer(string path)
    {
        var (status, lastTick, failures) = state.Snapshot();
        return path switch
        {
            "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8",
                PrometheusText.Render(options.Node, status, InstallState.Read(options.CacheDir), failures)),
            "/healthz" => DateTimeOffset.UtcNow - lastTick <= options.Interval * 3
                ? (200, "text/plain", "ok\n")
                : (503, "text/plain", status is null ? "the watch loop has not run yet\n" : $"the watch loop last ran at {lastTick:u}\n"),
            _ => (404, "text/plain", "try /metrics or /healthz\n"),
        };
    }

    private static string Reason(int code) => code switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Service Unavailable",
    };
}
