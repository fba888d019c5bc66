using System.Runtime.InteropServices;
using Modulus.Core.Native;

namespace Modulus.Core.Files;

/// <summary>
/// Write-to-temp-then-rename, the one way Modulus replaces a file or a symlink: the new content goes to a fresh
/// name created with O_EXCL beside the target (never through an existing file or link), is flushed, gets its mode
/// explicitly (whatever the umask), and <c>rename(2)</c> puts it in place, replacing the target name itself (a
/// symlink there included) without following it. A reader sees the old content or the new, never part of it.
/// Temp names are <c>.&lt;name&gt;.tmp-&lt;pid&gt;-&lt;random&gt;</c>: <see cref="IsTempName"/> tells them apart, so that
/// extraction refuses them and cleanup finds those of dead writers.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>rw-r--r--: what Modulus' own files get unless a caller says otherwise.</summary>
    public const UnixFileMode DefaultMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const string Marker = ".tmp-";

    /// <summary>A fresh temp path beside <paramref name="path"/>.</summary>
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}{Marker}{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>True for names <see cref="TempPathFor"/> makes (and the <c>.tmp-&lt;guid&gt;</c> names of file stores before 0.2).</summary>
    public static bool IsTempName(string fileName) => fileName.StartsWith('.') && fileName.Contains(Marker, StringComparison.Ordinal);

    /// <summary>The writer's process id in a temp name; null for names of older versions that carry none.</summary>
    public static int? WriterOf(string fileName)
    {
        var at = fileName.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = fileName[(at + Marker.Length)..];
        var dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode mode = DefaultMode)
    {
        var temp = TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                File.SetUnixFileMode(stream.SafeFileHandle, mode);
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            Rename(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static void WriteAllText(string path, string content, UnixFileMode mode = DefaultMode) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    /// <summary>Streams <paramref name="write"/>'s output into <paramref name="path"/>, atomically.</summary>
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken, UnixFileMode mode = DefaultMode)
    {
        var temp = TempPathFor(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                File.SetUnixFileMode(stream.SafeFileHandle, mode);
                await write(stream);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            Rename(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, UnixFileMode mode = DefaultMode) =>
        WriteAsync(path, stream => stream.WriteAsync(content, cancellationToken).AsTask(), cancellationToken, mode);

    /// <summary>
    /// Writes <paramref name="relative"/> below <paramref name="root"/> as the other writers do (fresh O_EXCL temp name,
    /// explicit mode, flushed, renamed over the name), but through a handle of its directory opened component by
    /// component without following a link (<see cref="Beneath.OpenDirectory"/>): a directory of the cache, the host
    /// root or a file store swapped for a link cannot send the write elsewhere. Missing directories are made 0755.
    /// </summary>
    public static async Task WriteBeneathAsync(string root, string relative, Func<Stream, Task> write, CancellationToken cancellationToken, UnixFileMode mode = DefaultMode)
    {
        using var directory = DirectoryHandle.Open(root, Path.GetDirectoryName(relative) ?? string.Empty);
        await WriteInAsync(directory, Path.GetFileName(relative), write, cancellationToken, mode);
    }

    /// <summary>Writes <paramref name="name"/> in the open <paramref name="directory"/> the same way: O_EXCL temp, mode, flush, renameat.</summary>
    public static async Task WriteInAsync(DirectoryHandle directory, string name, Func<Stream, Task> write, CancellationToken cancellationToken, UnixFileMode mode = DefaultMode)
    {
        var temp = $".{name}{Marker}{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            await using (var stream = directory.CreateFile(temp, mode))
            {
                await write(stream);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            directory.Rename(temp, name);
        }
        finally
        {
            directory.Delete(temp); // gone after the rename: no error
        }
    }

    public static void WriteBeneath(string root, string relative, ReadOnlySpan<byte> content, UnixFileMode mode = DefaultMode)
    {
        var copy = content.ToArray();
        WriteBeneathAsync(root, relative, stream => stream.WriteAsync(copy).AsTask(), CancellationToken.None, mode).GetAwaiter().GetResult();
    }

    /// <summary>Points the symlink <paramref name="path"/> at <paramref name="target"/>, replacing whatever name is there in one step.</summary>
    public static void ReplaceSymlink(string path, string target)
    {
        var temp = TempPathFor(path);
        try
        {
            File.CreateSymbolicLink(temp, target);
            Rename(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>rename(2): replaces the name <paramref name="to"/> itself (File.Move follows a link to a directory and refuses).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename {from} to {to} failed: {Errno.Describe(errno)}", errno);
        }
    }

    /// <summary>
    /// <c>renameat2(2)</c> with <c>RENAME_EXCHANGE</c>: swaps two paths (files, links or directories) in one step;
    /// false where the kernel or filesystem cannot (EINVAL, ENOSYS, EOPNOTSUPP), so the caller falls back.
    /// </summary>
    public static bool TryExchange(string a, string b)
    {
        if (RenameAt2(AtFdCwd, a, AtFdCwd, b, RenameExchange) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP
            ? false
            : throw new IOException($"swapping {a} and {b} failed: {Errno.Describe(errno)}", errno);
    }

    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameNative(string from, string to);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
