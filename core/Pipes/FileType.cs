using System.Runtime.InteropServices;
using Modulus.Core.Native;

namespace Modulus.Core.Pipes;

/// <summary>Tells a FIFO from other files; .NET reports only permission bits, so this asks stat(2).</summary>
internal static unsafe partial class FileType
{
    private const uint S_IFMT = 0xF000;
    private const uint S_IFIFO = 0x1000;

    public static bool IsFifo(string path)
    {
        // struct stat: st_mode follows dev+ino+nlink on x86_64, dev+ino on the generic layout (arm64).
        var modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        var buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            throw new IOException($"cannot stat {path}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        }

        return (*(uint*)(buffer + modeOffset) & S_IFMT) == S_IFIFO;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, byte* buffer);
}
