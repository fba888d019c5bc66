using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;

namespace Modulus.Compile;

/// <summary>
/// modulus' side of the FIFO protocol (docs/protocol.md): waits for the ready file, attaches to the pipes,
/// sends requests and reads their responses. Every message from dev-builder counts as a sign of life;
/// silence longer than the heartbeat timeout, EOF or EPIPE fail with a <see cref="DevBuilderException"/>.
/// </summary>
internal sealed class DevBuilderClient : IDisposable
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);
    private readonly FifoEnd responses;
    private readonly FifoEnd requests;
    private readonly PipeLineReader reader;
    private readonly TimeSpan heartbeatTimeout;
    private readonly ILogger logger;

    private DevBuilderClient(CmdDir cmd, ReadyInfo ready, FifoEnd responses, FifoEnd requests, TimeSpan heartbeatTimeout, ILogger logger)
    {
        Cmd = cmd;
        Ready = ready;
        this.responses = responses;
        this.requests = requests;
        this.heartbeatTimeout = heartbeatTimeout;
        this.logger = logger;
        reader = new PipeLineReader(responses, Protocol.MaxLineBytes);
    }

    public CmdDir Cmd { get; }

    public ReadyInfo Ready { get; }

    /// <summary>
    /// Waits for dev-builder's ready file and attaches to its pipes. <paramref name="builderExited"/>, when given,
    /// completes if a locally started dev-builder dies first, so that the wait ends at once.
    /// </summary>
    public static async Task<DevBuilderClient> ConnectAsync(
        CmdDir cmd, DevBuilderClientOptions options, ILogger logger, Task? builderExited, CancellationToken cancellationToken)
    {
        var ready = await WaitForReadyAsync(cmd, options.ReadyTimeout, logger, builderExited, cancellationToken);
        FifoEnd? responses = null;
        try
        {
            // Read end first: dev-builder opens its write end only when somebody reads.
            responses = FifoEnd.OpenReader(cmd.ResponseFifo, holdWriteEnd: false);
            var requests = FifoEnd.TryOpenWriter(cmd.RequestFifo)
                ?? throw new DevBuilderException(
                    $"the ready file {cmd.ReadyFile} names dev-builder pid {ready.Pid}, but nobody reads {cmd.RequestFifo}: " +
                    "dev-builder is not running any more. Restart the dev container; a new dev-builder replaces the stale ready file.");
            var timeout = TimeSpan.FromSeconds(Math.Max(options.HeartbeatTimeout.TotalSeconds, 2 * ready.HeartbeatIntervalSeconds));
            logger.LogInformation("Attached to dev-builder {Version} (pid {Pid}) in {CmdDir}; kernels: {Kernels}; compiler: {Compiler}",
                ready.Version, ready.Pid, cmd.Path, string.Join(", ", ready.Kernels.Select(k => k.Release)), ready.Compiler);
            return new DevBuilderClient(cmd, ready, responses, requests, timeout, logger);
        }
        catch (IOException e)
        {
            responses?.Dispose();
            throw new DevBuilderException($"cannot attach to dev-builder in {cmd.Path}: {e.Message}", e);
        }
        catch
        {
            responses?.Dispose();
            throw;
        }
    }

    /// <summary>Sends a build request and streams its messages to <paramref name="onMessage"/> until its result.</summary>
    public Task<Response> BuildAsync(BuildSpec spec, Action<Response> onMessage, CancellationToken cancellationToken) =>
        ExchangeAsync(
            new Request { Id = NewId(), Type = Protocol.RequestTypes.Build, Build = spec },
            r => r.Type == Protocol.ResponseTypes.Result,
            onMessage,
            $"job {spec.Job}",
            cancellationToken);

    public Task<Response> PingAsync(CancellationToken cancellationToken) =>
        ExchangeAsync(new Request { Id = NewId(), Type = Protocol.RequestTypes.Ping }, r => r.Type == Protocol.ResponseTypes.Pong, null, "ping", cancellationToken);

    /// <summary>Asks dev-builder to stop; it cancels a running build first.</summary>
    public Task<Response> ShutdownAsync(CancellationToken cancellationToken) =>
        ExchangeAsync(new Request { Id = NewId(), Type = Protocol.RequestTypes.Shutdown }, r => r.Type == Protocol.ResponseTypes.Accepted, null, "shutdown", cancellationToken);

    public void Dispose()
    {
        requests.Dispose();
        responses.Dispose();
    }

    private Task<Response> ExchangeAsync(Request request, Func<Response, bool> isFinal, Action<Response>? onMessage, string what, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                Send(request, what);
                return Receive(request.Id, isFinal, onMessage, what, cancellationToken);
            },
            cancellationToken);

    private void Send(Request request, string what)
    {
        try
        {
            requests.Write(Encoding.UTF8.GetBytes(ProtocolJson.ToLine(request) + "\n"), WriteTimeout, CancellationToken.None);
        }
        catch (Exception e) when (e is PipeClosedException or TimeoutException or IOException)
        {
            throw new DevBuilderException($"cannot send the {what} request to dev-builder: {e.Message}. dev-builder (pid {Ready.Pid}) has exited or hangs; check the dev container's log.", e);
        }
    }

    private Response Receive(string id, Func<Response, bool> isFinal, Action<Response>? onMessage, string what, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = reader.ReadLine(heartbeatTimeout, cancellationToken);
            switch (read.Status)
            {
                case LineReadStatus.Timeout:
                    throw new DevBuilderException(
                        $"dev-builder sent nothing for {heartbeatTimeout.TotalSeconds:0.#} s while modulus waited for {what} " +
                        $"(it sends a heartbeat every {Ready.HeartbeatIntervalSeconds:0.#} s): it hangs or was stopped. Check the dev container (pid {Ready.Pid}).");
                case LineReadStatus.EndOfStream:
                    throw new DevBuilderException(
                        $"dev-builder closed {Cmd.ResponseFifo} while modulus waited for {what}: it exited or was killed. " +
                        "Check the dev container's log; nothing was kept from this build.");
                case LineReadStatus.Oversized:
                    logger.LogWarning("Dropped a response line of {Bytes} bytes from dev-builder (limit {Limit})", read.DroppedBytes, Protocol.MaxLineBytes);
                    continue;
            }

            if (string.IsNullOrWhiteSpace(read.Text))
            {
                continue;
            }

            Response? message;
            try
            {
                message = ProtocolJson.FromLine<Response>(read.Text);
            }
            catch (JsonException e)
            {
                logger.LogWarning("Ignored a malformed line from dev-builder: {Error}", e.Message);
                continue;
            }

            if (message is null || message.Type == Protocol.ResponseTypes.Heartbeat)
            {
                continue;
            }

            if (message.Id != id)
            {
                if (message.Type == Protocol.ResponseTypes.Error)
                {
                    logger.LogWarning("dev-builder reported an error about another request: {Error}", message.Error);
                }

                continue;
            }

            if (message.Type == Protocol.ResponseTypes.Error)
            {
                throw new DevBuilderException($"dev-builder refused the {what} request: {message.Error}");
            }

            onMessage?.Invoke(message);
            if (isFinal(message))
            {
                return message;
            }
        }
    }

    private static async Task<ReadyInfo> WaitForReadyAsync(CmdDir cmd, TimeSpan timeout, ILogger logger, Task? builderExited, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var announced = false;
        while (true)
        {
            if (File.Exists(cmd.ReadyFile))
            {
                try
                {
                    var ready = JsonSerializer.Deserialize(await File.ReadAllTextAsync(cmd.ReadyFile, cancellationToken), ProtocolJson.Info<ReadyInfo>(ProtocolJson.Options));
                    if (ready is { V: Protocol.Version })
                    {
                        return ready;
                    }

                    throw new DevBuilderException($"the ready file {cmd.ReadyFile} speaks protocol version {ready?.V}; this modulus speaks {Protocol.Version}. Use the dev-builder payload of the same Modulus release.");
                }
                catch (JsonException e)
                {
                    throw new DevBuilderException($"the ready file {cmd.ReadyFile} is not valid JSON ({e.Message}); remove it and restart the dev container", e);
                }
            }

            if (builderExited is { IsCompleted: true })
            {
                throw new DevBuilderException($"dev-builder exited before it became ready in {cmd.Path}; its output above says why");
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new DevBuilderException(
                    $"no dev-builder became ready in {cmd.Path} within {timeout.TotalSeconds:0.#} s (no {Path.GetFileName(cmd.ReadyFile)}). " +
                    "Is the dev container running bootstrap.sh with this directory mounted as its cmd dir?");
            }

            if (!announced)
            {
                logger.LogInformation("Waiting up to {Seconds:F0} s for dev-builder's ready file {ReadyFile}", timeout.TotalSeconds, cmd.ReadyFile);
                announced = true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..12];
}
