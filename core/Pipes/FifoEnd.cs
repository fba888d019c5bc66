using System.Runtime.InteropServices;
using Modulus.Core.Native;

namespace Modulus.Core.Pipes;

/// <summary>
/// One open end of a named pipe, non-blocking underneath: reads and writes wait with poll(2) in short slices,
/// so a caller's timeout or cancellation always gets control back (FileStream.ReadAsync on a FIFO ignores its token).
/// </summary>
public sealed unsafe class FifoEnd : IDisposable
{
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(200);
    private int fd;

    private FifoEnd(int fd, string path)
    {
        this.fd = fd;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Creates the FIFO with mode 0600 unless a FIFO is already there.</summary>
    public static void Create(string path)
    {
        if (NativeFifo.MkFifo(path, Convert.ToUInt32("600", 8)) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != Errno.EEXIST)
        {
            throw new IOException($"cannot create the named pipe {path}: {Errno.Describe(errno)}");
        }

        if (!FileType.IsFifo(path))
        {
            throw new IOException($"{path} exists but is not a named pipe; remove it so that a FIFO can be created there");
        }
    }

    /// <summary>
    /// Opens the read end. With <paramref name="holdWriteEnd"/> the FIFO is opened read-write, so the reader
    /// never sees EOF when writers come and go (the server's request pipe).
    /// </summary>
    public static FifoEnd OpenReader(string path, bool holdWriteEnd)
    {
        var flags = (holdWriteEnd ? NativeFifo.O_RDWR : NativeFifo.O_RDONLY) | NativeFifo.O_NONBLOCK | NativeFifo.O_CLOEXEC;
        var fd = NativeFifo.Open(path, flags);
        if (fd < 0)
        {
            throw new IOException($"cannot open the named pipe {path} for reading: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        }

        return new FifoEnd(fd, path);
    }

    /// <summary>Opens the write end, or returns null when nobody has the FIFO open for reading (ENXIO).</summary>
    public static FifoEnd? TryOpenWriter(string path)
    {
        var fd = NativeFifo.Open(path, NativeFifo.O_WRONLY | NativeFifo.O_NONBLOCK | NativeFifo.O_CLOEXEC);
        if (fd >= 0)
        {
            return new FifoEnd(fd, path);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == Errno.ENXIO
            ? null
            : throw new IOException($"cannot open the named pipe {path} for writing: {Errno.Describe(errno)}");
    }

    /// <summary>
    /// Reads what is available, waiting at most <paramref name="timeout"/>.
    /// Returns the byte count, 0 at EOF (every writer closed after one had connected), or -1 on timeout.
    /// </summary>
    public int Read(Span<byte> buffer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return -1;
            }

            var revents = Poll(NativeFifo.POLLIN, remaining < PollSlice ? remaining : PollSlice);
            if (revents == 0)
            {
                continue;
            }

            fixed (byte* p = buffer)
            {
                var n = NativeFifo.Read(fd, p, buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is Errno.EAGAIN or Errno.EINTR)
                {
                    continue;
                }

                throw new IOException($"reading the named pipe {Path} failed: {Errno.Describe(errno)}");
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/>; throws <see cref="PipeClosedException"/> when the reader is gone.</summary>
    public void Write(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!data.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            nint n;
            fixed (byte* p = data)
            {
                n = NativeFifo.Write(fd, p, data.Length);
            }

            if (n >= 0)
            {
                data = data[(int)n..];
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EPIPE)
            {
                throw new PipeClosedException($"nobody reads the named pipe {Path} any more (EPIPE)");
            }

            if (errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                throw new IOException($"writing the named pipe {Path} failed: {Errno.Describe(errno)}");
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"the reader of {Path} took no data for {timeout.TotalSeconds:F0} s");
            }

            Poll(NativeFifo.POLLOUT, remaining < PollSlice ? remaining : PollSlice);
        }
    }

    public void Dispose()
    {
        var old = Interlocked.Exchange(ref fd, -1);
        if (old >= 0)
        {
            NativeFifo.Close(old);
        }
    }

    private short Poll(short events, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(fd < 0, this);
        var pfd = new NativeFifo.PollFd { Fd = fd, Events = events };
        var rc = NativeFifo.Poll(&pfd, 1, (int)Math.Ceiling(timeout.TotalMilliseconds));
        if (rc < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == Errno.EINTR ? (short)0 : throw new IOException($"poll on {Path} failed: {Errno.Describe(errno)}");
        }

        return rc == 0 ? (short)0 : pfd.Revents;
    }
}
