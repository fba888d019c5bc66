using System.Runtime.InteropServices;
using System.Text;
using Modulus.Core.Native;

namespace Modulus.Install;

/// <summary>
/// <c>/dev/kmsg</c>: one record per read(2), <c>prio,seq,usec,flags;message</c>. Opened non-blocking and positioned
/// at the end (<c>SEEK_END</c>), so only what the kernel says from then on is read. A privileged container has it;
/// elsewhere reading yields nothing and install says the kernel log was not available.
/// </summary>
internal sealed partial class KmsgKernelLog(string path = "/dev/kmsg") : IKernelLog
{
    private const int O_RDONLY_NONBLOCK_CLOEXEC = 0x800 | 0x80000;
    private const int SEEK_END = 2;

    public IKernelLogReader Follow()
    {
        var fd = Open(path, O_RDONLY_NONBLOCK_CLOEXEC);
        if (fd >= 0)
        {
            Seek(fd, 0, SEEK_END);
        }

        return new Reader(fd);
    }

    private sealed class Reader(int fd) : IKernelLogReader
    {
        public IReadOnlyList<string> ReadNew()
        {
            var lines = new List<string>();
            if (fd < 0)
            {
                return lines;
            }

            var buffer = new byte[8192];
            while (true)
            {
                var n = Read(fd, buffer, buffer.Length);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Errno.EPIPE or Errno.EINTR)
                    {
                        continue; // records were overwritten before we read them, or a signal: go on with the next
                    }

                    return lines; // EAGAIN: nothing more for now; anything else: stop reading too
                }

                if (n == 0)
                {
                    return lines;
                }

                var record = Encoding.UTF8.GetString(buffer, 0, (int)n);
                var semicolon = record.IndexOf(';');
                var message = (semicolon >= 0 ? record[(semicolon + 1)..] : record).Split('\n')[0];
                lines.Add(message);
            }
        }

        public void Dispose()
        {
            if (fd >= 0)
            {
                Close(fd);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Seek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
