using System.Runtime.InteropServices;

namespace Modulus.Install;

/// <summary>The system calls behind insmod, rmmod and mknod, so the node needs no kmod tools.</summary>
internal static partial class NativeKernel
{
    private const int O_NONBLOCK = 0x800;
    private const uint S_IFCHR = 0x2000;
    private const int MODULE_INIT_COMPRESSED_FILE = 4;

    public static void FinitModule(string path, string parameters)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 273 : 313;
        // In-tree modules may be compressed (.ko.xz/.zst/.gz); the kernel decompresses them itself when asked to.
        var flags = path.EndsWith(".ko", StringComparison.Ordinal) ? 0 : MODULE_INIT_COMPRESSED_FILE;
        if (SyscallFinit(number, (int)file.DangerousGetHandle(), parameters, flags) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"loading {path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}){Hint(errno)}", errno);
        }
    }

    public static void DeleteModule(string name)
    {
        var number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 106 : 176;
        if (SyscallDelete(number, name, O_NONBLOCK) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"unloading {name} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    public static void MakeCharacterDevice(string path, int major, int minor)
    {
        var dev = ((ulong)(major & 0xfff) << 8) | (uint)(minor & 0xff) | ((ulong)(minor & ~0xff) << 12) | ((ulong)(major & ~0xfff) << 32);
        if (MkNod(path, S_IFCHR | 0x1B6, dev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mknod {path} ({major}:{minor}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    /// <summary>rename(2): replaces a symlink atomically (File.Move follows links to directories and refuses).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename {from} to {to} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    private static string Hint(int errno) => errno switch
    {
        1 => "; loading modules needs CAP_SYS_MODULE (a privileged container)",
        8 => "; the module was built for another kernel (check its vermagic)",
        19 => "; no device for this driver (ENODEV)",
        17 => "; it is loaded already",
        _ => string.Empty,
    };

    [LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long SyscallFinit(long number, int fd, string parameters, int flags);

    [LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long SyscallDelete(long number, string name, int flags);

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameNative(string from, string to);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkNod(string path, uint mode, ulong dev);
}
