using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Files;
using Modulus.Core.Pipes;
using Modulus.Core.Processes;
using Modulus.DevBuilder.Recipes;

namespace Modulus.DevBuilder.Serve;

/// <summary>
/// Serves build requests from request.fifo and answers on response.fifo (docs/protocol.md):
/// one build at a time, heartbeats while a client is attached, errors for lines it cannot use.
/// </summary>
internal sealed partial class PipeServer(ServeOptions options, Builder builder, KernelHeadersLocator headers, IProcessRunner runner, ILogger<PipeServer> logger)
{
    private static readonly TimeSpan ReplyWait = TimeSpan.FromSeconds(5);
    private static readonly int MaxLogLineChars = 4096;
    private readonly Lock gate = new();
    private ActiveBuild? active;
    private ResponseChannel? responses;

    public static string Version { get; } =
        typeof(PipeServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var cmd = new CmdDir(options.CmdDir);
        Directory.CreateDirectory(cmd.Path);
        Directory.CreateDirectory(options.OutDir);
        Directory.CreateDirectory(options.WorkDir);
        FifoEnd.Create(cmd.RequestFifo);
        FifoEnd.Create(cmd.ResponseFifo);

        // Read-write: writers may come and go without this reader ever seeing EOF.
        using var requests = FifoEnd.OpenReader(cmd.RequestFifo, holdWriteEnd: true);
        using var channel = new ResponseChannel(cmd.ResponseFifo, logger);
        responses = channel;
        channel.ClientGone += OnClientGone;

        await WriteReadyFileAsync(cmd, stoppingToken);
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeats = HeartbeatsAsync(serving.Token);
        try
        {
            await Task.Factory.StartNew(() => ReadLoop(requests, serving.Token), serving.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            File.Delete(cmd.ReadyFile);
            await serving.CancelAsync();
            await CancelActiveBuildAsync("dev-builder is stopping");
            await heartbeats;
            logger.LogInformation("dev-builder stopped serving {CmdDir}", cmd.Path);
        }
    }

    private void ReadLoop(FifoEnd requests, CancellationToken cancellationToken)
    {
        var reader = new PipeLineReader(requests, Protocol.MaxLineBytes);
        while (!cancellationToken.IsCancellationRequested)
        {
            LineReadResult read;
            try
            {
                read = reader.ReadLine(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            switch (read.Status)
            {
                case LineReadStatus.Oversized:
                    logger.LogWarning("Dropped a request line of {Bytes} bytes (limit {Limit})", read.DroppedBytes, Protocol.MaxLineBytes);
                    Reply(new Response { Type = Protocol.ResponseTypes.Error, Error = $"request line of {read.DroppedBytes} bytes exceeds the limit of {Protocol.MaxLineBytes} bytes; it was dropped" });
                    break;
                case LineReadStatus.Line when !string.IsNullOrWhiteSpace(read.Text):
                    if (!Handle(read.Text!))
                    {
                        return;
                    }

                    break;
                case LineReadStatus.EndOfStream:
                    return;
            }
        }
    }

    /// <summary>Handles one request line; false when it asked the server to stop.</summary>
    private bool Handle(string line)
    {
        Request? request;
        try
        {
            request = ProtocolJson.FromLine<Request>(line);
        }
        catch (JsonException e)
        {
            logger.LogWarning("Malformed request line: {Error}", e.Message);
            Reply(new Response { Type = Protocol.ResponseTypes.Error, Error = $"malformed request (not a JSON request object): {e.Message}" });
            return true;
        }

        if (request is null || string.IsNullOrEmpty(request.Id) || string.IsNullOrEmpty(request.Type))
        {
            Reply(new Response { Id = request?.Id, Type = Protocol.ResponseTypes.Error, Error = "malformed request: 'id' and 'type' are required" });
            return true;
        }

        if (request.V != Protocol.Version)
        {
            Reply(new Response { Id = request.Id, Type = Protocol.ResponseTypes.Error, Error = $"unsupported protocol version {request.V}; this dev-builder {Version} speaks version {Protocol.Version}" });
            return true;
        }

        logger.LogInformation("Request {RequestId}: {Type}", request.Id, request.Type);
        switch (request.Type)
        {
            case Protocol.RequestTypes.Ping:
                Reply(new Response { Id = request.Id, Type = Protocol.ResponseTypes.Pong, State = State });
                return true;
            case Protocol.RequestTypes.Shutdown:
                Reply(new Response { Id = request.Id, Type = Protocol.ResponseTypes.Accepted });
                return false;
            case Protocol.RequestTypes.Build:
                StartBuild(request);
                return true;
            default:
                Reply(new Response { Id = request.Id, Type = Protocol.ResponseTypes.Error, Error = $"unknown request type '{request.Type}'; expected build, ping or shutdown" });
                return true;
        }
    }

    private string State
    {
        get
        {
            lock (gate)
            {
                return active is null ? "idle" : "building";
            }
        }
    }

    private void Reply(Response response) => responses!.Send(response, ReplyWait);

    private async Task HeartbeatsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                string? id;
                lock (gate)
                {
                    id = active?.RequestId;
                }

                responses!.Send(new Response { Id = id, Type = Protocol.ResponseTypes.Heartbeat, State = id is null ? "idle" : "building" }, TimeSpan.Zero);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void OnClientGone()
    {
        ActiveBuild? build;
        lock (gate)
        {
            build = active;
        }

        if (build is not null)
        {
            logger.LogWarning("modulus stopped reading the responses during job {Job}; cancelling the build", build.Job);
            build.Cancellation.Cancel();
        }
    }

    private async Task CancelActiveBuildAsync(string reason)
    {
        ActiveBuild? build;
        lock (gate)
        {
            build = active;
        }

        if (build is not null)
        {
            logger.LogWarning("Cancelling job {Job}: {Reason}", build.Job, reason);
            await build.Cancellation.CancelAsync();
            await build.Completion;
        }
    }

    private async Task WriteReadyFileAsync(CmdDir cmd, CancellationToken cancellationToken)
    {
        var ready = new ReadyInfo
        {
            Version = Version,
            Pid = Environment.ProcessId,
            Kernels = headers.Discover(),
            Compiler = await CompilerVersionAsync(cancellationToken),
            Image = options.BuilderImage,
            HeartbeatIntervalSeconds = options.HeartbeatInterval.TotalSeconds,
            StartedAt = DateTimeOffset.UtcNow,
        };
        await AtomicFile.WriteAllBytesAsync(cmd.ReadyFile, ProtocolJson.ToIndentedUtf8(ready), cancellationToken);
        logger.LogInformation("dev-builder {Version} serves {CmdDir}; kernels: {Kernels}; compiler: {Compiler}",
            Version, cmd.Path, string.Join(", ", ready.Kernels.Select(k => k.Release)), ready.Compiler);
    }

    private async Task<string> CompilerVersionAsync(CancellationToken cancellationToken)
    {
        var first = string.Empty;
        try
        {
            await runner.RunAsync(new ProcessSpec("gcc", ["--version"]), line => first = first.Length == 0 ? line.Text : first, cancellationToken);
            return first;
        }
        catch (ModulusException)
        {
            return "unknown (gcc --version failed)";
        }
    }

    private sealed record ActiveBuild(string RequestId, string Job, CancellationTokenSource Cancellation)
    {
        public Task Completion { get; set; } = Task.CompletedTask;
    }
}
