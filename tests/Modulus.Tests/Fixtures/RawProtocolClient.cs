using System.Text;
using Modulus.Core.Pipes;

namespace Modulus.Tests.Fixtures;

/// <summary>Speaks the FIFO protocol line by line, so tests can send what modulus never would.</summary>
public sealed class RawProtocolClient : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly FifoEnd responses;
    private readonly FifoEnd requests;
    private readonly PipeLineReader reader;

    public RawProtocolClient(CmdDir cmd)
    {
        responses = FifoEnd.OpenReader(cmd.ResponseFifo, holdWriteEnd: false);
        requests = FifoEnd.TryOpenWriter(cmd.RequestFifo) ?? throw new InvalidOperationException("no dev-builder reads " + cmd.RequestFifo);
        reader = new PipeLineReader(responses, Protocol.MaxLineBytes);
    }

    public List<Response> Received { get; } = [];

    public void SendLine(string line) => requests.Write(Encoding.UTF8.GetBytes(line + "\n"), Wait, CancellationToken.None);

    public void Send(Request request) => SendLine(ProtocolJson.ToLine(request));

    /// <summary>Reads until a message matches, keeping everything read in <see cref="Received"/>.</summary>
    public Response Next(Func<Response, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (true)
        {
            var read = reader.ReadLine(deadline - DateTime.UtcNow, CancellationToken.None);
            if (read.Status != LineReadStatus.Line)
            {
                throw new InvalidOperationException($"expected a matching response, got {read.Status}; received so far:\n{string.Join("\n", Received.Select(ProtocolJson.ToLine))}");
            }

            var message = ProtocolJson.FromLine<Response>(read.Text!)!;
            Received.Add(message);
            if (match(message))
            {
                return message;
            }
        }
    }

    public Response NextFor(string id, string type) => Next(r => r.Id == id && r.Type == type);

    public void CloseResponses() => responses.Dispose();

    public void Dispose()
    {
        requests.Dispose();
        responses.Dispose();
    }
}
