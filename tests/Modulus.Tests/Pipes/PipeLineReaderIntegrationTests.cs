using System.Text;
using Modulus.Core.Pipes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Pipes;

/// <summary>Both ends of a real FIFO in this process.</summary>
public sealed class PipeLineReaderIntegrationTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly TempDirectory dir = new();
    private readonly string fifo;

    public PipeLineReaderIntegrationTests()
    {
        fifo = dir.Combine("test.fifo");
        FifoEnd.Create(fifo);
    }

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Joins_a_line_written_in_pieces_and_splits_lines_written_at_once()
    {
        using var reader = FifoEnd.OpenReader(fifo, holdWriteEnd: false);
        using var writer = FifoEnd.TryOpenWriter(fifo)!;
        var lines = new PipeLineReader(reader, 1024);

        Write(writer, "hel");
        Write(writer, "lo\nsecond\nthird\n");

        lines.ReadLine(Wait, CancellationToken.None).Should().Be(new LineReadResult(LineReadStatus.Line, "hello"));
        lines.ReadLine(Wait, CancellationToken.None).Text.Should().Be("second");
        lines.ReadLine(Wait, CancellationToken.None).Text.Should().Be("third");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Drops_an_oversized_line_whole_and_reads_on_after_it()
    {
        using var reader = FifoEnd.OpenReader(fifo, holdWriteEnd: false);
        using var writer = FifoEnd.TryOpenWriter(fifo)!;
        var lines = new PipeLineReader(reader, 100);

        var pump = Task.Run(() => Write(writer, new string('x', 50_000) + "\nnext\n"));

        lines.ReadLine(Wait, CancellationToken.None).Should().Be(new LineReadResult(LineReadStatus.Oversized, DroppedBytes: 50_000));
        lines.ReadLine(Wait, CancellationToken.None).Text.Should().Be("next");
        await pump.WaitAsync(Wait);
    }

    [Fact]
    public void Reports_end_of_stream_once_the_last_writer_closed()
    {
        using var reader = FifoEnd.OpenReader(fifo, holdWriteEnd: false);
        var lines = new PipeLineReader(reader, 100);
        using (var writer = FifoEnd.TryOpenWriter(fifo)!)
        {
            Write(writer, "last\n");
        }

        lines.ReadLine(Wait, CancellationToken.None).Text.Should().Be("last");
        lines.ReadLine(Wait, CancellationToken.None).Status.Should().Be(LineReadStatus.EndOfStream);
    }

    [Fact]
    public void Waits_for_a_first_writer_instead_of_reporting_end_of_stream()
    {
        using var reader = FifoEnd.OpenReader(fifo, holdWriteEnd: false);
        var lines = new PipeLineReader(reader, 100);

        lines.ReadLine(TimeSpan.FromMilliseconds(300), CancellationToken.None).Status.Should().Be(LineReadStatus.Timeout);
    }

    [Fact]
    public void Gives_control_back_on_cancellation_while_no_data_comes()
    {
        using var reader = FifoEnd.OpenReader(fifo, holdWriteEnd: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        FluentActions.Invoking(() => new PipeLineReader(reader, 100).ReadLine(TimeSpan.FromMinutes(5), cts.Token))
            .Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Opens_no_writer_while_nobody_reads() => FifoEnd.TryOpenWriter(fifo).Should().BeNull();

    [Fact]
    public void Reports_epipe_when_the_reader_went_away()
    {
        var reader = FifoEnd.OpenReader(fifo, holdWriteEnd: false);
        using var writer = FifoEnd.TryOpenWriter(fifo)!;
        reader.Dispose();

        FluentActions.Invoking(() => Write(writer, "anyone?\n")).Should().Throw<PipeClosedException>().WithMessage("*EPIPE*");
    }

    [Fact]
    public void Refuses_to_take_a_regular_file_for_a_fifo()
    {
        var path = dir.Combine("plain");
        File.WriteAllText(path, "x");

        FluentActions.Invoking(() => FifoEnd.Create(path)).Should().Throw<IOException>().WithMessage("*plain exists but is not a named pipe*");
    }

    private static void Write(FifoEnd writer, string text) => writer.Write(Encoding.UTF8.GetBytes(text), Wait, CancellationToken.None);
}
