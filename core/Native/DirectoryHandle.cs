using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Modulus.Core.Native;

/// <summary>
/// An open directory, and every write below it made relative to the handle: <c>mkdirat</c>, <c>openat(O_CREAT|O_EXCL|O_NOFOLLOW)</c>,
/// <c>symlinkat</c>, <c>renameat(2)</c>, and subdirectories opened with <c>O_NOFOLLOW|O_DIRECTORY</c>. Once it is open, no
/// path is looked up again from the root, so a directory that someone swaps for a link after it was checked (or renames
/// away) cannot send a write anywhere else: the kernel refuses the link (ELOOP) and the handle keeps meaning the
/// directory that was opened. For writes into places others may write: the host cache, a <c>file://</c> store.
/// Modes are set explicitly (<c>fchmod</c>), never left to the umask.
/// </summary>
public sealed partial class DirectoryHandle : IDisposable
{
    /// <summary>rwxr-xr-x, what Modulus' directories get.</summary>
    public const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;

    private const int O_RDONLY = 0;
    private const int O_WRONLY = 1;
    private const int O_CREAT = 0x40;
    private const int O_EXCL = 0x80;
    private const int O_CLOEXEC = 0x80000;
    private const uint RenameExchange = 2;

    private readonly SafeFileHandle handle;

    private DirectoryHandle(SafeFileHandle handle, string path)
    {
        this.handle = handle;
        Path = path;
    }

    /// <summary>Where the directory was when it was opened, for messages (it may have moved since; the handle has not).</summary>
    public string Path { get; }

    private int Fd => (int)handle.DangerousGetHandle();

    /// <summary>
    /// The directory <paramref name="relative"/> below <paramref name="root"/>, made (0755) where missing, no link on the
    /// way below the root (<see cref="Beneath.OpenDirectory"/>). The root itself may be a link: the operator chose it.
    /// </summary>
    public static DirectoryHandle Open(string root, string relative) =>
        new(Beneath.OpenDirectory(root, relative), relative.Length == 0 ? root : System.IO.Path.Combine(root, relative));

    /// <summary>A subdirectory <paramref name="name"/> (one component), made with <paramref name="mode"/> when missing; never a link.</summary>
    public DirectoryHandle CreateDirectory(string name, UnixFileMode mode = DirectoryMode)
    {
        var shown = Show(name);
        if (MkdirAt(Fd, CheckName(name), (int)mode) == 0)
        {
            _ = FchmodAt(Fd, name, (int)mode, 0); // the umask does not decide
        }
        else if (Marshal.GetLastPInvokeError() != Errno.EEXIST)
        {
            throw Failure("create", shown);
        }

        return OpenDirectory(name);
    }

    /// <summary>The existing subdirectory <paramref name="name"/> (one component); a link there is refused (ELOOP).</summary>
    public DirectoryHandle OpenDirectory(string name)
    {
        var fd = OpenAt(Fd, CheckName(name), O_RDONLY | Beneath.DirectoryFlag | Beneath.NoFollowFlag | O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw Failure("open", Show(name), errno == Errno.ENOTDIR && IsLink(name) ? Errno.ELOOP : errno);
        }

        return new DirectoryHandle(new SafeFileHandle(fd, ownsHandle: true), Show(name));
    }

    /// <summary>A new file <paramref name="name"/> opened for writing: O_EXCL (never an existing name, never through a link), mode <paramref name="mode"/>.</summary>
    public FileStream CreateFile(string name, UnixFileMode mode, int bufferSize = 1 << 16)
    {
        var fd = OpenAt(Fd, CheckName(name), O_WRONLY | O_CREAT | O_EXCL | Beneath.NoFollowFlag | O_CLOEXEC, (int)mode);
        if (fd < 0)
        {
            throw Failure("create", Show(name));
        }

        var file = new SafeFileHandle(fd, ownsHandle: true);
        File.SetUnixFileMode(file, mode); // fchmod: the umask does not decide
        return new FileStream(file, FileAccess.Write, bufferSize);
    }

    /// <summary>A new symlink <paramref name="name"/> pointing at <paramref name="target"/> (symlinkat; an existing name is an error).</summary>
    public void CreateSymlink(string name, string target)
    {
        if (SymlinkAt(target, Fd, CheckName(name)) != 0)
        {
            throw Failure("create the link", Show(name));
        }
    }

    /// <summary><c>renameat</c> within this directory: <paramref name="to"/> is replaced, the name itself (a link there is not followed).</summary>
    public void Rename(string from, string to) => MoveTo(from, this, to);

    /// <summary>
    /// <c>renameat</c> from this directory into <paramref name="target"/> (same filesystem): <paramref name="targetName"/>
    /// is replaced as a name (an empty directory, a file or a link; a link there is not followed).
    /// </summary>
    public void MoveTo(string name, DirectoryHandle target, string targetName)
    {
        if (RenameAt(Fd, CheckName(name), target.Fd, target.CheckName(targetName)) != 0)
        {
            throw Failure($"move {Show(name)} to", target.Show(targetName));
        }
    }

    /// <summary>
    /// <c>renameat2(RENAME_EXCHANGE)</c> within this directory: swaps two names in one step; false where the kernel or
    /// filesystem cannot (EINVAL, ENOSYS, EOPNOTSUPP), so the caller falls back to two renames.
    /// </summary>
    public bool TryExchange(string a, string b) => TryExchange(a, this, b);

    /// <summary><c>renameat2(RENAME_EXCHANGE)</c> of <paramref name="name"/> here and <paramref name="otherName"/> in <paramref name="other"/>.</summary>
    public bool TryExchange(string name, DirectoryHandle other, string otherName)
    {
        if (RenameAt2(Fd, CheckName(name), other.Fd, other.CheckName(otherName), RenameExchange) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP ? false : throw Failure($"swap {Show(name)} and", other.Show(otherName), errno);
    }

    /// <summary>Removes <paramref name="name"/>: a file or link (itself), or a directory tree, never following a link; gone already is no error.</summary>
    public void Delete(string name) => Beneath.DeleteAt(Fd, CheckName(name), Show(name));

    /// <summary>Removes the subdirectory <paramref name="name"/> if it is empty; false when it is not (or is gone).</summary>
    public bool RemoveIfEmpty(string name) => UnlinkAt(Fd, CheckName(name), Beneath.AtRemoveDir) == 0;

    /// <summary>True when <paramref name="name"/> exists (as anything, a link included: it is not followed).</summary>
    public bool Contains(string name) => FstatAtExists(name);

    /// <summary>The names in the directory, read through the handle (<c>/proc/self/fd/N</c> is this very directory, wherever it is now).</summary>
    public IEnumerable<string> Names() =>
        Directory.EnumerateFileSystemEntries(Here).Select(System.IO.Path.GetFileName).OfType<string>().ToList();

    /// <summary>
    /// A path that names this very directory while the handle is open (<c>/proc/self/fd/N</c>), wherever it has been
    /// moved and whatever now stands at <see cref="Path"/>: for reading the tree with APIs that take paths.
    /// </summary>
    public string Here => $"/proc/self/fd/{Fd}";

    /// <summary>Space free for an unprivileged writer on the directory's filesystem (fstatfs).</summary>
    public long AvailableFreeSpace => new DriveInfo(Here).AvailableFreeSpace;

    public void Dispose() => handle.Dispose();

    private bool FstatAtExists(string name) =>
        FaccessAt(Fd, CheckName(name), 0, 0x100 /* AT_SYMLINK_NOFOLLOW */) == 0 || Marshal.GetLastPInvokeError() != Errno.ENOENT;

    private bool IsLink(string name) => new FileInfo($"{Here}/{name}").LinkTarget is not null;

    private string Show(string name) => System.IO.Path.Combine(Path, name);

    private string CheckName(string name) =>
        name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\0')
            ? throw new ArgumentException($"'{name}' is not one plain name in {Path}", nameof(name))
            : name;

    private static IOException Failure(string what, string path, int? errno = null) => Beneath.Failure(what, path, errno);

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenAt(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkdirAt(int dirfd, string path, int mode);

    [LibraryImport("libc", EntryPoint = "fchmodat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int FchmodAt(int dirfd, string path, int mode, int flags);

    [LibraryImport("libc", EntryPoint = "symlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SymlinkAt(string target, int dirfd, string path);

    [LibraryImport("libc", EntryPoint = "renameat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnlinkAt(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "faccessat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int FaccessAt(int dirfd, string path, int mode, int flags);
}
