using System.Runtime.InteropServices;

namespace Modulus.Core.Native;

/// <summary>
/// Deletes and writes below a directory that others may write (the host cache, a <c>file://</c> store) without following a
/// link anywhere on the way: the parent is opened with <c>openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)</c>
/// (Linux 5.6; every Garden Linux kernel), and a tree is removed through directory handles
/// (<c>openat(O_NOFOLLOW | O_DIRECTORY)</c>, <c>unlinkat</c>), so a directory swapped for a link between a check and
/// the delete is refused by the kernel, not followed. The root itself may be a link: that is the operator's choice.
/// </summary>
public static partial class Beneath
{
    private const int AT_FDCWD = -100;
    internal const int AtRemoveDir = 0x200;
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    private const ulong RESOLVE_NO_SYMLINKS = 0x04;
    private const ulong RESOLVE_BENEATH = 0x08;
    private const long SysOpenat2 = 437; // one number for every architecture since 5.6

    private static bool Arm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>O_DIRECTORY: 0x10000 in the generic fcntl.h (x86_64), 0x4000 on arm64.</summary>
    internal static int DirectoryFlag => Arm64 ? 0x4000 : 0x10000;

    /// <summary>O_NOFOLLOW: 0x20000 in the generic fcntl.h (x86_64), 0x8000 on arm64.</summary>
    internal static int NoFollowFlag => Arm64 ? 0x8000 : 0x20000;

    /// <summary>
    /// Removes <paramref name="relative"/> below <paramref name="root"/>: a file or a link (the link itself), or a
    /// directory and everything in it. Gone already is no error. Throws <see cref="IOException"/> naming the path
    /// when a link lies on the way to it (ELOOP) or the kernel refuses.
    /// </summary>
    public static void Delete(string root, string relative)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or ".."))
        {
            throw new ArgumentException($"'{relative}' is not a plain relative path below {root}", nameof(relative));
        }

        var parent = parts.Length == 1 ? OpenRoot(root) : OpenBeneath(root, string.Join('/', parts[..^1]));
        if (parent < 0)
        {
            return; // the parent is gone: so is what was below it
        }

        try
        {
            DeleteAt(parent, parts[^1], Path.Combine(root, relative));
        }
        finally
        {
            _ = Close(parent);
        }
    }

    /// <summary>
    /// A handle of the directory <paramref name="relative"/> below <paramref name="root"/>, made (0755, whatever the
    /// umask) where it is missing, one component at a time relative to the last, none of them a link. For writes that
    /// must land below the root (<see cref="DirectoryHandle.Open"/>).
    /// </summary>
    internal static Microsoft.Win32.SafeHandles.SafeFileHandle OpenDirectory(string root, string relative)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or ".."))
        {
            throw new ArgumentException($"'{relative}' is not a plain relative path below {root}", nameof(relative));
        }

        Directory.CreateDirectory(root);
        var current = OpenRoot(root);
        var shown = root;
        foreach (var part in parts)
        {
            shown = Path.Combine(shown, part);
            if (MkdirAt(current, part, 0b111_101_101) == 0)
            {
                _ = FchmodAt(current, part, 0b111_101_101, 0); // the umask does not decide
            }
            else if (Marshal.GetLastPInvokeError() != Errno.EEXIST)
            {
                var failed = Failure("create", shown);
                _ = Close(current);
                throw failed;
            }

            var next = OpenAt(current, part, O_RDONLY | DirectoryFlag | NoFollowFlag | O_CLOEXEC, 0);
            var errno = Marshal.GetLastPInvokeError();
            _ = Close(current);
            if (next < 0)
            {
                // O_DIRECTORY answers a link with Errno.ENOTDIR before O_NOFOLLOW's ELOOP: say which it was.
                throw Failure("open", shown, errno == Errno.ENOTDIR && new FileInfo(shown).LinkTarget is not null ? Errno.ELOOP : errno);
            }

            current = next;
        }

        return new Microsoft.Win32.SafeHandles.SafeFileHandle(current, ownsHandle: true);
    }

    private static int OpenRoot(string root)
    {
        var fd = OpenAt(AT_FDCWD, root, O_RDONLY | DirectoryFlag | O_CLOEXEC, 0);
        return fd >= 0 || Marshal.GetLastPInvokeError() == Errno.ENOENT ? fd : throw Failure("open", root);
    }

    /// <summary>A directory handle for <paramref name="relative"/> below <paramref name="root"/>; -1 when it does not exist.</summary>
    private static int OpenBeneath(string root, string relative)
    {
        var rootFd = OpenRoot(root);
        if (rootFd < 0)
        {
            return -1;
        }

        try
        {
            var how = new OpenHow { Flags = (ulong)(O_RDONLY | DirectoryFlag | O_CLOEXEC), Resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
            var fd = (int)Openat2(SysOpenat2, rootFd, relative, ref how, (nuint)Marshal.SizeOf<OpenHow>());
            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == Errno.ENOENT ? -1
                : errno == Errno.ENOSYS ? WalkNoFollow(rootFd, relative, root)
                : throw Failure("open", Path.Combine(root, relative), errno);
        }
        finally
        {
            _ = Close(rootFd);
        }
    }

    /// <summary>Kernels before 5.6: one component at a time, each opened with O_NOFOLLOW relative to the last.</summary>
    private static int WalkNoFollow(int rootFd, string relative, string root)
    {
        var current = OpenAt(rootFd, ".", O_RDONLY | DirectoryFlag | O_CLOEXEC, 0);
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = OpenAt(current, part, O_RDONLY | DirectoryFlag | NoFollowFlag | O_CLOEXEC, 0);
            var errno = Marshal.GetLastPInvokeError();
            _ = Close(current);
            if (next < 0)
            {
                return errno == Errno.ENOENT ? -1 : throw Failure("open", Path.Combine(root, relative), errno);
            }

            current = next;
        }

        return current;
    }

    internal static void DeleteAt(int parent, string name, string shown)
    {
        var fd = OpenAt(parent, name, O_RDONLY | DirectoryFlag | NoFollowFlag | O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                return;
            }

            if (errno is Errno.ENOTDIR or Errno.ELOOP)
            {
                // a file, or a link: unlinked itself, never what it points at
                if (UnlinkAt(parent, name, 0) != 0 && Marshal.GetLastPInvokeError() != Errno.ENOENT)
                {
                    throw Failure("remove", shown);
                }

                return;
            }

            throw Failure("open", shown, errno);
        }

        try
        {
            // The directory's entries, read through its handle (/proc/self/fd/N is that very directory, whatever its path is now).
            foreach (var entry in Directory.EnumerateFileSystemEntries($"/proc/self/fd/{fd}"))
            {
                DeleteAt(fd, Path.GetFileName(entry), Path.Combine(shown, Path.GetFileName(entry)));
            }
        }
        finally
        {
            _ = Close(fd);
        }

        if (UnlinkAt(parent, name, AtRemoveDir) != 0 && Marshal.GetLastPInvokeError() != Errno.ENOENT)
        {
            throw Failure("remove", shown);
        }
    }

    internal static IOException Failure(string what, string path, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        var reason = code == Errno.ELOOP ? "a symbolic link lies on the way, and it is not followed: remove that link (Modulus did not make it)" : Errno.Describe(code);
        return new IOException($"cannot {what} {path}: {reason}", code);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long Openat2(long number, int dirfd, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenAt(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnlinkAt(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkdirAt(int dirfd, string path, int mode);

    [LibraryImport("libc", EntryPoint = "fchmodat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int FchmodAt(int dirfd, string path, int mode, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
